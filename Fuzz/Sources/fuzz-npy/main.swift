import Foundation
import FuzzDriver
import LRPCore

// .npy reader: any bytes give an array or an LRPError, never a trap.
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    _ = try? NPY.decode(Data(bytes: data, count: size))
    return 0
})
