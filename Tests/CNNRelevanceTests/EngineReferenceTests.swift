import CKernels
import LRPCore
import XCTest
@testable import CNNRelevance

/// The engine against the double-precision reference of docs/DESIGN.md §2 (ReferenceLRP) on hand-built
/// graphs covering conv (padded, strided, dilated, grouped, depthwise, pointwise), linear,
/// max/avg/global pooling, channel-affine (unfolded batch norm), residual sums, concatenation,
/// padding, LRN and softmax: every preset, first-layer rule and several cut-offs.
final class EngineReferenceTests: XCTestCase {
    static let tolerance: Float = 1e-4

    func input(_ g: Graph, batch: Int, seed: UInt64) -> NDArray {
        var rng = SeededRandom(seed)
        return NDArray(shape: [batch] + g.inputShape, data: rng.floats(batch * g.inputShape.reduce(1, *)))
    }

    /// Compares every sample's map with the reference, relative to the sample's largest value.
    func compare(_ g: Graph, _ plan: RulePlan, cutoffs: [Int]? = nil, seed: UInt64 = 5, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let explainer = try Explainer(graph: g, plan: plan)
        let x = input(g, batch: 2, seed: seed)
        let pass = try explainer.forward(x)
        let m = explainer.mappingLayerCount
        let ks = cutoffs ?? Array(Set([0, 1, m / 2, m - 1, m])).sorted()
        // the top logit of each sample (as `--target auto`): tiny logits would make the
        // comparison a test of float32 cancellation rather than of the rules
        let c = explainer.classCount
        let targets = (0..<2).map { n in (0..<c).max { pass.logits.data[n * c + $0] < pass.logits.data[n * c + $1] }! }
        let maps = try explainer.explain(pass, targets: targets, cutoffs: ks)
        let reference = ReferenceLRP(graph: g, plan: plan)
        let per = g.inputShape.reduce(1, *)
        for (k, map) in zip(ks, maps) {
            XCTAssertEqual(map.shape, [2] + g.inputShape)
            for n in 0..<2 {
                let sample = Array(x.data[(n * per)..<((n + 1) * per)])
                let expected = reference.relevance(sample, target: targets[n], cutoff: k).map(Float.init)
                assertClose(Array(map.data[(n * per)..<((n + 1) * per)]), expected, tol: Self.tolerance,
                            "\(label) cut-off \(k) sample \(n)", file: file, line: line)
            }
        }
    }

    func testPresetsMatchReference() throws {
        for (name, make) in TestGraphs.all {
            for preset in RulePreset.allCases {
                try compare(make(), try RulePlan(preset: preset), "\(name) \(preset.rawValue)")
            }
        }
    }

    func testRuleParametersMatchReference() throws {
        let g = TestGraphs.mobile()
        try compare(g, try RulePlan(preset: .epsilon, epsilon: 0.05), "mobile epsilon 0.05")
        try compare(g, try RulePlan(preset: .epsilon, epsilon: 0), cutoffs: [0], "mobile z rule")
        try compare(g, try RulePlan(preset: .alpha2beta1, alpha: 3, beta: 2), "mobile alpha 3 beta 2")
        try compare(g, try RulePlan(preset: .alpha2beta1, alpha: 1, beta: 0), cutoffs: [0], "mobile alpha 1 beta 0")
        try compare(g, try RulePlan(preset: .epsilonAlpha2Beta1Flat, alpha: 1.5, beta: 0.5), cutoffs: [0], "mobile composite α1.5")
        try compare(TestGraphs.branchy(), try RulePlan(preset: .epsilonPlusFlat, maxPool: .proportional),
                    "branchy proportional max pooling")
        try compare(TestGraphs.plain(), try RulePlan(preset: .alpha2beta1, maxPool: .proportional), cutoffs: [0],
                    "plain proportional max pooling")
    }

    func testFirstLayerRulesMatchReference() throws {
        for (name, make) in TestGraphs.all {
            let g = make()
            try compare(g, try RulePlan(preset: .alpha2beta1, firstLayer: .flat), cutoffs: [0], "\(name) first flat")
            try compare(g, try RulePlan(preset: .epsilonPlusFlat, firstLayer: .wsquare), cutoffs: [0, 2],
                        "\(name) first wsquare")
            try compare(g, try RulePlan(preset: .epsilonAlpha2Beta1Flat, firstLayer: .zbox, zBoxLow: [-1, -1.2, -0.9],
                                        zBoxHigh: [1, 1.1, 1.3]), cutoffs: [0, 1], "\(name) first zbox")
            try compare(g, try RulePlan(preset: .epsilon, firstLayer: .zbox, zBoxLow: [-1], zBoxHigh: [1]),
                        cutoffs: [0], "\(name) first zbox, one bound")
        }
    }

    func testPortablePathMatchesReference() throws {
        lrp_cpu_disable_simd(1)
        defer { lrp_cpu_disable_simd(0) }
        try compare(TestGraphs.mobile(), try RulePlan(preset: .epsilonAlpha2Beta1Flat), "mobile portable")
        try compare(TestGraphs.branchy(), try RulePlan(preset: .epsilon), cutoffs: [0, 3], "branchy portable")
    }

    /// Larger batches split work by sample instead of by rows/channels: same maps.
    func testBatchSplitsAgree() throws {
        let g = TestGraphs.mobile()
        let e = try Explainer(graph: g, plan: try RulePlan(preset: .epsilonAlpha2Beta1Flat))
        let x = input(g, batch: 5, seed: 9)
        let batch = try e.explain(try e.forward(x), targets: [0, 1, 2, 3, 4], cutoff: 0)
        let per = g.inputShape.reduce(1, *)
        for n in [0, 3] {
            let one = NDArray(shape: [1] + g.inputShape, data: Array(x.data[(n * per)..<((n + 1) * per)]))
            let single = try e.explain(try e.forward(one), targets: [n], cutoff: 0)
            assertClose(Array(batch.data[(n * per)..<((n + 1) * per)]), single.data, tol: 1e-5, "sample \(n)")
        }
    }

    /// `--cutoff all`: one shared backward pass gives the same maps as separate explanations.
    func testSweepEqualsSeparateExplanations() throws {
        for (name, make) in TestGraphs.all {
            let g = make()
            let e = try Explainer(graph: g, plan: try RulePlan(preset: .epsilonAlpha2Beta1Flat))
            let pass = try e.forward(input(g, batch: 2, seed: 3))
            let ks = Array(0...e.mappingLayerCount)
            let sweep = try e.explain(pass, targets: [0, 1], cutoffs: ks.reversed())
            for (k, map) in zip(ks.reversed(), sweep) {
                let single = try e.explain(pass, targets: [0, 1], cutoff: k)
                assertClose(map.data, single.data, tol: 1e-6, "\(name) sweep K=\(k)")
            }
        }
    }

    /// A plain forward (`forExplanation: false`) gives the same logits but cannot be explained;
    /// without the products alpha-beta keeps in the forward pass, its relevance pass computes
    /// them itself, with the same result.
    func testPlainForwardAndRecomputedProductsAgree() throws {
        for (name, make) in TestGraphs.all {
            let g = make()
            let e = try Explainer(graph: g, plan: try RulePlan(preset: .alpha2beta1))
            let x = input(g, batch: 2, seed: 8)
            let kept = try e.forward(x), plain = try e.forward(x, forExplanation: false)
            XCTAssertFalse(kept.saved.isEmpty, name)
            XCTAssertTrue(plain.saved.isEmpty, name)
            assertClose(plain.logits.data, kept.logits.data, tol: 1e-5, "\(name) logits")
            XCTAssertThrowsError(try e.explain(plain, targets: [0, 1], cutoff: 0))
            let withoutSaved = ForwardPass(batchSize: 2, logits: kept.logits, values: kept.values, saved: [:],
                                           owner: kept.owner, explainable: true)
            let a = try e.explain(kept, targets: [0, 1], cutoff: 0)
            let b = try e.explain(withoutSaved, targets: [0, 1], cutoff: 0)
            assertClose(b.data, a.data, tol: 1e-4, "\(name) relevance")
        }
    }

    func testLogitsMatchReferenceForward() throws {
        for (name, make) in TestGraphs.all {
            let g = make()
            let e = try Explainer(graph: g, plan: try RulePlan(preset: .epsilon))
            let x = input(g, batch: 2, seed: 4)
            let pass = try e.forward(x)
            let per = g.inputShape.reduce(1, *)
            let ref = ReferenceLRP(graph: g, plan: e.plan)
            var logitValue = g.output.index
            if let last = g.nodes.last, case .softmax = last.op { logitValue = last.inputs[0].index }
            for n in 0..<2 {
                let v = ref.forward(x.data[(n * per)..<((n + 1) * per)].map(Double.init))
                assertClose(Array(pass.logits.data[(n * e.classCount)..<((n + 1) * e.classCount)]),
                            v[logitValue].map(Float.init), tol: 1e-5, "\(name) logits sample \(n)")
            }
        }
    }
}
