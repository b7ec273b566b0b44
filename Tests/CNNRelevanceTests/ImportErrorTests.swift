import CNNRelevance
import Foundation
import LRPCore
import ONNXProto
import XCTest

/// Broken and unsupported model files give one-line `LRPError`s, never a crash.
final class ImportErrorTests: XCTestCase {
    /// A valid little model: conv → relu → global pool → flatten → gemm.
    func validModel() -> ONNXModelBuilder {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 3, 8, 8])
        var rng = ImportRandom(1)
        b.floats("w", [4, 3, 3, 3], rng.floats(108))
        b.floats("b", [4], rng.floats(4))
        b.floats("fw", [5, 4], rng.floats(20))
        b.floats("fb", [5], rng.floats(5))
        let c = b.node("Conv", ["input", "w", "b"], name: "conv1", attributes: [Attr.ints("pads", [1, 1, 1, 1])])
        let r = b.node("Relu", [c])
        let p = b.node("GlobalAveragePool", [r])
        let f = b.node("Flatten", [p])
        b.node("Gemm", [f, "fw", "fb"], output: "output", attributes: [Attr.int("transB", 1)])
        return b
    }

    func testValidModelImports() throws {
        let g = try validModel().load()
        XCTAssertEqual(g.opSummary, ["conv 3x3 3->4", "relu", "global avgpool", "reshape [4]", "linear 4->5"])
    }

    func testEmptyFile() {
        assertLRPError(["empty.onnx", "empty"]) { _ = try ONNXImporter.load(data: Data(), name: "empty.onnx") }
    }

    func testTruncatedFiles() throws {
        let full = try validModel().data()
        // Every prefix must fail cleanly (most are invalid protobuf, the rest miss parts of the graph).
        var failures = 0
        for cut in stride(from: 1, to: full.count, by: max(1, full.count / 97)) {
            do {
                _ = try ONNXImporter.load(data: full.prefix(cut), name: "cut.onnx")
            } catch let e as LRPError {
                XCTAssertTrue(e.message.hasPrefix("cut.onnx"), e.message)
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 90)
        assertLRPError(["truncated or corrupt"]) { _ = try ONNXImporter.load(data: full.prefix(full.count - 3), name: "m.onnx") }
    }

    func testRandomBytes() {
        var rng = ImportRandom(7)
        for n in [1, 2, 10, 100, 1000, 20_000] {
            let bytes = Data(rng.bytes(n))
            assertLRPError(["rand.onnx"]) { _ = try ONNXImporter.load(data: bytes, name: "rand.onnx") }
        }
    }

    func testMissingFile() {
        assertLRPError(["/nonexistent/model.onnx", "no such"]) {
            _ = try ONNXImporter.load(url: URL(fileURLWithPath: "/nonexistent/model.onnx"))
        }
    }

    func testUnsupportedOpNamesOpAndNode() {
        var b = validModel()
        b.nodes.insert({ var n = Onnx_NodeProto(); n.opType = "Resize"; n.name = "Resize_12"; n.input = ["input"]; n.output = ["big"]; return n }(), at: 0)
        b.nodes[1].input[0] = "big"
        assertLRPError(["unsupported ONNX op 'Resize' in node 'Resize_12'"]) { _ = try b.load() }
    }

    func testUnsupportedDomain() {
        var b = validModel()
        b.nodes[1].domain = "com.microsoft"
        assertLRPError(["unsupported ONNX op 'com.microsoft.Relu'"]) { _ = try b.load() }
    }

    func testMissingInitializer() {
        var b = validModel()
        b.initializers.removeAll { $0.name == "w" }
        assertLRPError(["conv1", "'w'", "not produced"]) { _ = try b.load() }
    }

    func testWrongWeightSize() {
        var b = validModel()
        b.initializers[0] = ONNXModelBuilder.floatTensor("w", [4, 3, 3, 3], [Float](repeating: 1, count: 100))
        assertLRPError(["initializer 'w'", "400 bytes", "needs 432"]) { _ = try b.load() }
        b.initializers[0] = ONNXModelBuilder.floatTensor("w", [4, 3, 3, 3], [Float](repeating: 1, count: 50), typed: true)
        assertLRPError(["initializer 'w'", "50 values", "needs 108"]) { _ = try b.load() }
    }

    func testWeightShapeNotFittingInput() {
        var b = validModel()
        b.initializers[0] = ONNXModelBuilder.floatTensor("w", [4, 2, 3, 3], [Float](repeating: 1, count: 72))
        assertLRPError(["conv1", "does not fit an input of 3 channels"]) { _ = try b.load() }
    }

    func testHugeDimensionsAreRejectedBeforeAllocation() {
        var b = validModel()
        var t = ONNXModelBuilder.floatTensor("w", [4, 3, 3, 3], [Float](repeating: 1, count: 108))
        t.dims = [1 << 30, 1 << 30, 4, 3]
        b.initializers[0] = t
        assertLRPError(["initializer 'w'"]) { _ = try b.load() }
        t.dims = [-4, 3, 3, 3]
        b.initializers[0] = t
        assertLRPError(["invalid dimension"]) { _ = try b.load() }
    }

    func testBadAttributes() {
        var b = validModel()
        b.nodes[0].attribute = [Attr.ints("pads", [1, 1])]
        assertLRPError(["conv1", "pads", "expected 4"]) { _ = try b.load() }
        b.nodes[0].attribute = [Attr.float("group", 1)]
        assertLRPError(["conv1", "group", "not an integer"]) { _ = try b.load() }
        b.nodes[0].attribute = [Attr.ints("strides", [0, 1])]
        assertLRPError(["conv1", "strides must be positive"]) { _ = try b.load() }
        b.nodes[0].attribute = [Attr.string("auto_pad", "WRONG")]
        assertLRPError(["conv1", "auto_pad"]) { _ = try b.load() }
    }

    func testKernelLargerThanInput() {
        var b = validModel()
        b.nodes[0].attribute = []
        b.inputShape = [1, 3, 2, 2]
        assertLRPError(["conv1", "does not fit the 2x2 input"]) { _ = try b.load() }
    }

    func testDynamicSpatialSizeNeedsASize() throws {
        var b = validModel()
        b.inputShape = [nil, 3, nil, nil]
        assertLRPError(["dynamic height or width", "input size"]) { _ = try b.load() }
        let g = try b.load(inputSize: (height: 12, width: 10))
        XCTAssertEqual(g.inputShape, [3, 12, 10])
        XCTAssertEqual(g.valueShapes[g.nodes[0].output.index], [4, 12, 10])
    }

    func testUnsupportedOpset() {
        var b = validModel()
        b.opset = 5
        assertLRPError(["opset 5"]) { _ = try b.load() }
    }

    func testInputProblems() {
        var b = validModel()
        b.inputShape = [1, 3, 8]
        assertLRPError(["4-D NCHW"]) { _ = try b.load() }
        var m = validModel().model()
        m.graph.input.append(ONNXModelBuilder.valueInfo("second", [1, 3, 8, 8]))
        assertLRPError(["2 inputs"]) { _ = try ONNXImporter.load(data: m.serializedBytes(), name: "m") }
    }

    func testSoftmaxInTheMiddleIsRejected() {
        var b = validModel()
        b.nodes.insert({ var n = Onnx_NodeProto(); n.opType = "Softmax"; n.name = "sm"; n.input = ["Flatten_3_out"]; n.output = ["s"]; return n }(), at: 4)
        b.nodes[5].input[0] = "s"
        assertLRPError(["Softmax in node 'sm' is not the last layer"]) { _ = try b.load() }
    }

    func testSpatiallyVaryingConstantIsRejected() {
        var b = validModel()
        b.floats("k", [1, 4, 8, 8], [Float](repeating: 1, count: 256))
        b.nodes.insert({ var n = Onnx_NodeProto(); n.opType = "Add"; n.name = "posadd"; n.input = ["conv1_out", "k"]; n.output = ["a"]; return n }(), at: 1)
        b.nodes[2].input[0] = "a"
        assertLRPError(["posadd", "not per-channel"]) { _ = try b.load() }
    }

    func testUsingMaxPoolIndicesIsRejected() {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 3, 8, 8])
        b.node("MaxPool", ["input"], output: "p", outputs: ["idx"], name: "mp", attributes: [Attr.ints("kernel_shape", [2, 2])])
        b.node("Add", ["p", "idx"], output: "output", name: "use")
        assertLRPError(["use", "'idx'", "not supported"]) { _ = try b.load() }
    }

    func testSegmentationOutputIsRejected() {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 3, 8, 8])
        b.floats("w", [2, 3, 1, 1], [Float](repeating: 0.5, count: 6))
        b.node("Conv", ["input", "w"], output: "output")
        assertLRPError(["output has per-sample shape [2, 8, 8]"]) { _ = try b.load() }
    }
}
