import LRPCore
import XCTest
@testable import CNNRelevance

/// The memory-lean path of `lrp-cnn explain` (docs/DESIGN.md §2.7): a forward pass without kept
/// products and a walk that releases kept values give the maps of the default path.
final class LeanForwardTests: XCTestCase {
    func testLeanPassMatchesKeptPass() throws {
        for preset in [RulePreset.alpha2beta1, .epsilonPlusFlat, .epsilonAlpha2Beta1Flat] {
            for (name, make) in TestGraphs.all {
                let g = make()
                let e = try Explainer(graph: g, plan: try RulePlan(preset: preset))
                var rng = SeededRandom(11)
                let x = NDArray(shape: [2] + g.inputShape, data: rng.floats(2 * g.inputShape.reduce(1, *)))
                let ks = Array(0...e.mappingLayerCount)
                let kept = try e.forward(x)
                let lean = try e.forward(x, keepProducts: false)
                XCTAssertTrue(lean.saved.isEmpty, name)
                let a = try e.explain(kept, targets: [0, 1], cutoffs: ks)
                let b = try e.explain(lean, targets: [0, 1], cutoffs: ks, releasing: true)
                for (k, (ra, rb)) in zip(a, b).enumerated() {
                    assertClose(rb.data, ra.data, tol: 1e-4, "\(name) \(preset) K=\(k)")
                }
                XCTAssertTrue(lean.values.dropFirst().allSatisfy { $0 == nil }, "\(name): released")
                XCTAssertThrowsError(try e.explain(lean, targets: [0, 1], cutoff: 0), "\(name): explained twice")
            }
        }
    }
}
