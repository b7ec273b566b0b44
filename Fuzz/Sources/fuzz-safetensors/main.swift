import FisherVectors
import Foundation
import FuzzDriver

// safetensors container, then the Fisher-vector model it must hold.
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    if let file = try? SafeTensors.decode(Data(bytes: data, count: size)) {
        _ = try? ModelFile.decode(file)
    }
    return 0
})
