import CNNRelevance
import Foundation
import LRPCore
import XCTest

/// The ONNX `LeakyRelu` op end to end: import (attribute and default), forward against the
/// reference forward pass, and (in `EngineReferenceTests`) relevance against the double-precision reference (relevance
/// passes through, as zennit's `Pass` rule does for activations), also with negative inputs
/// reaching alpha-beta layers.
final class LeakyReLUTests: XCTestCase {
    func model(alpha: Float?) -> ONNXModelBuilder {
        var rng = ImportRandom(3)
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 6, 6])
        let w = b.floats("w", [4, 2, 3, 3], rng.floats(72))
        let c = b.node("Conv", ["input", w])
        let l = b.node("LeakyRelu", [c], attributes: alpha.map { [Attr.float("alpha", $0)] } ?? [])
        let p = b.node("GlobalAveragePool", [l])
        b.node("Flatten", [p], output: "output")
        return b
    }

    func testImportReadsAlphaAndDefault() throws {
        let g = try model(alpha: 0.2).load()
        guard case .leakyRelu(let alpha) = g.nodes[1].op else { return XCTFail("not a leaky relu: \(g.nodes[1].op.shortDescription)") }
        XCTAssertEqual(alpha, 0.2)
        XCTAssertEqual(g.nodes[1].op.shortDescription, "leaky relu 0.2")
        guard case .leakyRelu(let d) = try model(alpha: nil).load().nodes[1].op else { return XCTFail("not a leaky relu") }
        XCTAssertEqual(d, 0.01)
    }

    func testForwardMatchesReference() throws {
        let g = try model(alpha: 0.2).load()
        var rng = ImportRandom(9)
        let x = rng.floats(72)
        let logits = try ForwardModel(graph: g).logits(NDArray(shape: [1, 2, 6, 6], data: x))
        assertAllClose(logits.data, ReferenceForward.run(g, sample: x), tol: 1e-5, "leaky relu logits")
    }
}

extension EngineReferenceTests {
    func testLeakyReLURelevanceMatchesReference() throws {
        var b = TestGraphBuilder(input: [3, 10, 10], seed: 21)
        b.conv(6, k: 3); b.add(.leakyRelu(alpha: 0.1), "LeakyRelu", shape: b.shape)
        b.conv(8, k: 3, stride: 2); b.add(.leakyRelu(alpha: 0.3), "LeakyRelu", shape: b.shape)
        b.pool(max: true, k: 2, stride: 2)
        b.flatten()
        b.linear(5)
        let g = b.graph()
        XCTAssertEqual(g.layerTable().map(\.receptiveField.sizeH)[1], 3, "a leaky relu keeps the receptive field")
        for preset in RulePreset.allCases {
            try compare(g, try RulePlan(preset: preset), "leaky relu \(preset.rawValue)")
        }
    }
}
