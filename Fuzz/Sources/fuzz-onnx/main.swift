import CNNRelevance
import Foundation
import FuzzDriver

// ONNX import: protobuf parsing, constant folding, graph building and canonisation.
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    _ = try? ONNXImporter.load(data: Data(bytes: data, count: size), name: "fuzz.onnx")
    return 0
})
