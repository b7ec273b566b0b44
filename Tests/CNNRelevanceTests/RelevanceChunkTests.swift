import LRPCore
import XCTest
@testable import CNNRelevance

/// Alpha-beta and z-plus relevance steps that go through the batch in chunks of samples
/// (`SampleChunks`, docs/DESIGN.md §2.7) give the maps of one pass over the whole batch.
final class RelevanceChunkTests: XCTestCase {
    func testChunksCoverTheBatchEvenly() {
        XCTAssertEqual(SampleChunks(batch: 5, floatsPerSample: 100, budget: 250).ranges, [0..<2, 2..<4, 4..<5])
        XCTAssertEqual(SampleChunks(batch: 8, floatsPerSample: 100, budget: 300).ranges, [0..<3, 3..<6, 6..<8])
        XCTAssertEqual(SampleChunks(batch: 3, floatsPerSample: 100, budget: 50).ranges, [0..<1, 1..<2, 2..<3])
        XCTAssertEqual(SampleChunks(batch: 4, floatsPerSample: 100, budget: 400).ranges, [0..<4])
        XCTAssertEqual(SampleChunks(batch: 1, floatsPerSample: 0, budget: 0).ranges, [0..<1])
    }

    func testViewReadsAndWritesItsSamples() {
        let b = FloatBuffer((0..<12).map(Float.init))
        let v = FloatBuffer(samples: 1..<3, of: b, perSample: 4)
        XCTAssertEqual(v.array, (4..<12).map(Float.init))
        v[0] = -1
        XCTAssertEqual(b[4], -1)
    }

    /// Batch 5 under budgets from one sample per chunk to no chunking: ragged last chunks
    /// (2 + 2 + 1 on the mobile graph's expansion conv at 40,000 floats), inputs with and without
    /// negative values, grouped and depthwise convolutions, linear layers (alpha2beta1), every
    /// cut-off; with products formed in the relevance step (lean) and kept from the forward pass.
    func testChunkedStepsMatchWholeBatch() throws {
        // the expansion conv 8→16 at 12×12 on a signed sum: products of x⁺ and x⁻, [a; b]; x⁺, x⁻, dNeg
        let expansion = 3 * 2 * 16 * 144 + 3 * 8 * 144
        XCTAssertEqual(SampleChunks(batch: 5, floatsPerSample: expansion, budget: 40_000).ranges.map(\.count), [2, 2, 1])
        let batch = 5
        for preset in [RulePreset.alpha2beta1, .epsilonPlusFlat, .epsilonAlpha2Beta1Flat] {
            for (name, make) in TestGraphs.all {
                let g = make()
                let e = try Explainer(graph: g, plan: try RulePlan(preset: preset))
                var rng = SeededRandom(23)
                let x = NDArray(shape: [batch] + g.inputShape, data: rng.floats(batch * g.inputShape.reduce(1, *)))
                let targets = (0..<batch).map { $0 % e.classCount }
                let ks = Array(0...e.mappingLayerCount)
                let whole = try e.explain(try e.forward(x, keepProducts: false), targets: targets, cutoffs: ks,
                                          releasing: true)
                let wholeKept = try e.explain(try e.forward(x), targets: targets, cutoffs: ks)
                for budget in [1, 3_000, 9_000, 40_000, 60_000] {
                    e.relevanceChunkFloats = budget
                    defer { e.relevanceChunkFloats = SampleChunks.defaultBudget }
                    let lean = try e.explain(try e.forward(x, keepProducts: false), targets: targets, cutoffs: ks,
                                             releasing: true)
                    let kept = try e.explain(try e.forward(x), targets: targets, cutoffs: ks)
                    for k in ks.indices {
                        let what = "\(name) \(preset) budget \(budget) K=\(k)"
                        assertClose(lean[k].data, whole[k].data, tol: 1e-5, "\(what) lean")
                        assertClose(kept[k].data, wholeKept[k].data, tol: 1e-5, "\(what) kept")
                    }
                }
            }
        }
    }
}
