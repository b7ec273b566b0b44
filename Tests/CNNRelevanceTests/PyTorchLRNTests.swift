import Foundation
import LRPCore
import XCTest
@testable import CNNRelevance

/// PyTorch exports nn.LocalResponseNorm as a decomposition (x·x, Pad, AveragePool, If, Pow,
/// Div) rather than an ONNX LRN node; the importer recognises it (Tests/Fixtures/cnn-lrn, by
/// Scripts/make_lrn_fixtures.py, with zennit references where LRN passes relevance through).
final class PyTorchLRNTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/cnn-lrn")
    let variants = ["o11", "o13", "o17", "o13.unfolded"]

    func url(_ name: String) -> URL { Self.directory.appendingPathComponent(name) }

    func testDecompositionBecomesOneLRNLayerAndMatchesPyTorch() throws {
        let x = try NPY.read(url("torchlrn.input.npy"))
        let expected = try NPY.read(url("torchlrn.logits.npy"))
        for v in variants {
            let g = try ONNXImporter.load(url: url("torchlrn.\(v).onnx"))
            XCTAssertEqual(g.opSummary, ["conv 3x3 3->8", "relu", "lrn 5", "maxpool 3x3 s2 ceil", "conv 3x3 8->8", "relu",
                                         "lrn 3", "reshape [512]", "linear 512->5"], v)
            let pass = try Explainer(graph: g, plan: try RulePlan(preset: .epsilon)).forward(x)
            assertClose(pass.logits.data, expected.data, tol: 1e-5, "\(v) logits")
        }
    }

    func testRelevanceThroughLRNMatchesZennit() throws {
        struct Cases: Decodable {
            struct Case: Decodable { let preset: String; let cutoff: Int }
            let targets: [Int]
            let cases: [Case]
        }
        let spec = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url("torchlrn.targets.json")))
        let x = try NPY.read(url("torchlrn.input.npy"))
        for v in ["o13", "o13.unfolded"] {
            let g = try ONNXImporter.load(url: url("torchlrn.\(v).onnx"))
            for c in spec.cases {
                let preset = try XCTUnwrap(RulePreset(rawValue: c.preset))
                let e = try Explainer(graph: g, plan: try RulePlan(preset: preset))
                let ours = try e.explain(try e.forward(x), targets: spec.targets, cutoff: c.cutoff)
                let ref = try NPY.read(url("torchlrn.\(c.preset).k\(c.cutoff).npy"))
                let scale = ref.data.map(abs).max() ?? 0
                let err = zip(ours.data, ref.data).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(err, 1e-4 * scale, "\(v) \(c.preset) K=\(c.cutoff): \(err / scale) of the maximum")
            }
        }
    }

    /// With an even size PyTorch's channel window is off-centre, unlike ONNX's LRN: refused.
    func testEvenSizeIsAnError() {
        XCTAssertThrowsError(try ONNXImporter.load(url: url("evenlrn.o13.onnx"))) { error in
            let message = (error as? LRPError)?.message ?? ""
            XCTAssertTrue(message.contains("even size 4"), message)
            XCTAssertFalse(message.contains("\n"))
        }
    }
}
