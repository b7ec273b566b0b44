import Foundation
import LRPCore
import XCTest
@testable import CNNRelevance

/// The engine against zennit on the committed fixtures (Tests/Fixtures/cnn, written by
/// Scripts/make_cnn_fixtures.py): small ONNX models covering conv, depthwise and grouped conv,
/// linear, max/avg pooling, folded and unfolded batch norm, residual sum and concatenation;
/// every preset, first-layer rule, max-pool rule and cut-offs 0, 1 and a middle K.
/// Tolerance: max |ours − zennit| ≤ 1e-4 · max |zennit| per case.
final class ZennitFixtureTests: XCTestCase {
    struct Manifest: Decodable {
        struct Model: Decodable { let name, onnx, input, logits: String }
        struct Case: Decodable {
            let model, preset: String
            let epsilon, alpha, beta: Float
            let firstLayer: String?
            let zBoxLow, zBoxHigh: [Float]
            let maxPool: String
            let cutoff: Int
            let targets: [Int]
            let relevance: String
        }
        let models: [Model]
        let cases: [Case]
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/cnn")

    func manifest() throws -> Manifest {
        let url = Self.directory.appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureMissing(path: url.path)
        }
        return try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url))
    }

    func plan(_ c: Manifest.Case) throws -> RulePlan {
        let preset = try XCTUnwrap(RulePreset(rawValue: c.preset), c.preset)
        let first = try c.firstLayer.map { try XCTUnwrap(FirstLayerRule(rawValue: $0), $0) }
        let pool = try XCTUnwrap(MaxPoolRule(rawValue: c.maxPool), c.maxPool)
        return try RulePlan(preset: preset, epsilon: c.epsilon, alpha: c.alpha, beta: c.beta, firstLayer: first,
                            maxPool: pool, zBoxLow: c.zBoxLow, zBoxHigh: c.zBoxHigh)
    }

    func testLogitsMatchPyTorch() throws {
        for model in try manifest().models {
            let graph = try ONNXImporter.load(url: Self.directory.appendingPathComponent(model.onnx))
            let e = try Explainer(graph: graph, plan: try RulePlan(preset: .epsilon))
            let x = try NPY.read(Self.directory.appendingPathComponent(model.input))
            let expected = try NPY.read(Self.directory.appendingPathComponent(model.logits))
            let pass = try e.forward(x)
            XCTAssertEqual(pass.logits.shape, expected.shape, model.name)
            assertClose(pass.logits.data, expected.data, tol: 1e-5, "\(model.name) logits")
        }
    }

    func testRelevanceMatchesZennit() throws {
        let m = try manifest()
        var graphs: [String: Graph] = [:], inputs: [String: NDArray] = [:]
        for model in m.models {
            graphs[model.name] = try ONNXImporter.load(url: Self.directory.appendingPathComponent(model.onnx))
            inputs[model.name] = try NPY.read(Self.directory.appendingPathComponent(model.input))
        }
        XCTAssertGreaterThanOrEqual(m.cases.count, 50)
        var worst: (Float, String) = (0, "")
        for c in m.cases {
            let label = c.relevance
            let explainer = try Explainer(graph: try XCTUnwrap(graphs[c.model]), plan: try plan(c))
            let pass = try explainer.forward(try XCTUnwrap(inputs[c.model]))
            let ours = try explainer.explain(pass, targets: c.targets, cutoff: c.cutoff)
            let ref = try NPY.read(Self.directory.appendingPathComponent(c.relevance))
            XCTAssertEqual(ours.shape, ref.shape, label)
            let scale = ref.data.map(abs).max() ?? 0
            let err = zip(ours.data, ref.data).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(err, 1e-4 * scale, "\(label): max error \(err / scale) of the map's maximum")
            if err / scale > worst.0 { worst = (err / scale, label) }
        }
        print("zennit fixtures: \(m.cases.count) cases, worst max|ours − zennit| / max|zennit| = \(worst.0) (\(worst.1))")
    }

    /// The sweep over every K agrees with the fixture cases of the same plan.
    func testSweepMatchesZennit() throws {
        let m = try manifest()
        let cases = m.cases.filter { $0.model == "branchy" && $0.preset == "epsilon-alpha2beta1-flat" && $0.firstLayer == nil }
        guard !cases.isEmpty else { return XCTFail("manifest.json lists no branchy epsilon-alpha2beta1-flat cases") }
        let model = try XCTUnwrap(m.models.first { $0.name == "branchy" })
        let e = try Explainer(graph: try ONNXImporter.load(url: Self.directory.appendingPathComponent(model.onnx)),
                              plan: try plan(cases[0]))
        let pass = try e.forward(try NPY.read(Self.directory.appendingPathComponent(model.input)))
        let maps = try e.explain(pass, targets: cases[0].targets, cutoffs: Array(0...e.mappingLayerCount))
        for c in cases {
            let ref = try NPY.read(Self.directory.appendingPathComponent(c.relevance))
            assertClose(maps[c.cutoff].data, ref.data, tol: 1e-4, "sweep \(c.relevance)")
        }
    }
}

/// A file that ships with the repository is missing: the test fails (it does not skip).
struct FixtureMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "committed fixture \(path) is missing" }
}
