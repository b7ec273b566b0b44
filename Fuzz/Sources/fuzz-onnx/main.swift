import CNNRelevance
import Foundation
import FuzzDriver

// ONNX import as `ModelLoading` does it: the declared input shape (dynamic H/W get a small
// fallback size), then protobuf parsing, constant folding, graph building and canonisation.
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    var inputSize: (height: Int, width: Int)?
    if let declared = try? ONNXImporter.declaredInputShape(data: bytes, name: "fuzz.onnx"),
       declared.count == 3, declared[1] == nil || declared[2] == nil {
        inputSize = (declared[1] ?? 16, declared[2] ?? 16)
    }
    _ = try? ONNXImporter.load(data: bytes, name: "fuzz.onnx", inputSize: inputSize)
    return 0
})
