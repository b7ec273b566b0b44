import CNNRelevance
import LRPCore
import XCTest

/// Models exported from PyTorch at opsets 11, 13 and 17, with and without the exporter's
/// constant folding (Scripts/make_import_fixtures.py): every file imports, and the imported
/// graph reproduces PyTorch's output.
final class ImportFixtureTests: XCTestCase {
    let variants = ["o11.folded", "o11.unfolded", "o13.folded", "o13.unfolded", "o17.folded", "o17.unfolded"]

    func check(_ model: String, expectLayers: [String], softmax: Bool) throws {
        let x = try NPY.read(fixtureURL("cnn-import/\(model).input.npy"))
        let y = try NPY.read(fixtureURL("cnn-import/\(model).output.npy"))
        let per = x.shape.dropFirst().reduce(1, *), classes = y.shape[1]
        for v in variants {
            let g = try ONNXImporter.load(url: fixtureURL("cnn-import/\(model).\(v).onnx"))
            XCTAssertEqual(g.inputShape, Array(x.shape.dropFirst()), v)
            XCTAssertEqual(g.opSummary, expectLayers, "\(model).\(v)")
            XCTAssertEqual(g.removedOutputSoftmax, softmax, v)
            for n in 0..<x.shape[0] {
                var out = ReferenceForward.run(g, sample: Array(x.data[n * per..<(n + 1) * per]))
                if softmax {
                    let m = out.max()!
                    let e = out.map { exp($0 - m) }
                    out = e.map { $0 / e.reduce(0, +) }
                }
                assertAllClose(out, Array(y.data[n * classes..<(n + 1) * classes]), tol: 1e-4, "\(model).\(v) sample \(n)")
            }
        }
    }

    /// BN after conv/linear folded (also BatchNorm1d after Gemm), x.view(x.size(0), -1) folded
    /// from its Shape/Gather/Unsqueeze/Concat sub-graph, ceil-mode max pooling, final softmax dropped.
    func testBranchyModelMatchesPyTorch() throws {
        try check("branchy", expectLayers: [
            "conv 3x3 s2 3->8", "relu", "conv 3x3 8->8 depthwise", "relu6", "add", "concat",
            "maxpool 3x3 s2 ceil", "avgpool 2x2 s2", "conv 1x1 16->12", "reshape [300]", "linear 300->10",
        ], softmax: true)
    }

    /// Dilated and grouped convs, F.pad's constant sub-graph, an unfoldable BN (after ReLU),
    /// ceil-mode average pooling counting padding, GlobalMaxPool, ReduceMean, MatMul + Add.
    func testOddModelMatchesPyTorch() throws {
        try check("odd", expectLayers: [
            "conv 3x3 3->12 d2", "relu", "pad 0,1,1,2", "conv 3x3 s2 12->12 g3", "relu", "channel affine",
            "avgpool 3x3 s2 ceil", "maxpool 5x7", "reshape [12]", "global avgpool", "linear 12->7", "relu",
            "concat", "linear 19->5",
        ], softmax: false)
    }

    /// The fixtures of the relevance tests (Tests/Fixtures/cnn, by make_cnn_fixtures.py) import too.
    func testRelevanceFixtureModelsImport() throws {
        let dir = fixtureURL("cnn")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".onnx") }
        guard !files.isEmpty else { return XCTFail("no .onnx files in the committed fixtures \(dir.path)") }
        for f in files {
            let g = try ONNXImporter.load(url: dir.appendingPathComponent(f))
            XCTAssertGreaterThan(g.mappingLayerCount, 0, f)
        }
    }
}
