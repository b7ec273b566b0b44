import CNNRelevance
import Foundation
import LRPCore
import XCTest

/// Non-finite parameters are refused at load, and a relevance or logit that stops being finite
/// is an error naming the layer where it first does (never a NaN map and success).
final class FiniteResultTests: XCTestCase {
    func testNonFiniteWeightsAreRefused() throws {
        for bad in [Float.nan, .infinity] {
            var g = TestGraphs.plain()
            guard case .conv(var c) = g.nodes[1].op else { return XCTFail("node 1 is not a conv") }
            c.weight[3] = bad
            g.nodes[1].op = .conv(c)
            assertLRPError(["layer \(g.nodes[1].name)", "weight 3", "finite"]) { _ = try ForwardModel(graph: g) }
            assertLRPError(["weight 3", "finite"]) { _ = try Explainer(graph: g, plan: try RulePlan(preset: .epsilon)) }
        }
    }

    /// A deep stack of convolutions (signed activations, no ReLU to silence them) under
    /// alpha-beta(1000, 999): relevance grows by up to α + β per layer and leaves float32 range;
    /// the error names the layer and says what to change.
    func testAlphaBetaOverflowNamesTheLayer() throws {
        var b = TestGraphBuilder(input: [2, 6, 6], seed: 7)
        for _ in 0..<16 { b.conv(4, k: 3, pad: (1, 1, 1, 1)) }
        b.flatten()
        b.linear(4)
        let g = b.graph()
        let plan = try RulePlan(preset: .alpha2beta1, alpha: 1000, beta: 999)
        let e = try Explainer(graph: g, plan: plan)
        var rng = SeededRandom(3)
        let pass = try e.forward(NDArray(shape: [1, 2, 6, 6], data: rng.floats(72)))
        assertLRPError(["not finite below layer", "alpha-beta", "smaller alpha and beta"]) {
            _ = try e.explain(pass, targets: [0], cutoff: 0)
        }
        // The usual parameters stay finite on the same model.
        let usual = try Explainer(graph: g, plan: try RulePlan(preset: .alpha2beta1))
        let map = try usual.explain(try usual.forward(NDArray(shape: [1, 2, 6, 6], data: rng.floats(72))), targets: [0], cutoff: 0)
        XCTAssertTrue(map.data.allSatisfy(\.isFinite))
    }
}
