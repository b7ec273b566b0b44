import Foundation
import FuzzDriver
import LRPCore

// JPEG / PNG decoding (libjpeg, libpng through the C decoder).
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    _ = try? Image.decode(Data(bytes: data, count: size))
    return 0
})
