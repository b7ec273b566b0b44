import LRPCore
import XCTest
@testable import CNNRelevance

/// Properties docs/DESIGN.md §2 promises, checked without a reference implementation.
final class ConservationAndCutOffTests: XCTestCase {
    /// The same graph with every bias and every channel-affine shift set to zero.
    func withoutBiases(_ g: Graph) -> Graph {
        var g = g
        for i in g.nodes.indices {
            switch g.nodes[i].op {
            case .conv(var c): c.bias = c.bias.map { $0.map { _ in 0 } }; g.nodes[i].op = .conv(c)
            case .linear(var l): l.bias = l.bias.map { $0.map { _ in 0 } }; g.nodes[i].op = .linear(l)
            case .channelAffine(var a): a.shift = a.shift.map { _ in 0 }; g.nodes[i].op = .channelAffine(a)
            default: break
            }
        }
        return g
    }

    /// ε → 0 and zero biases: Σ input relevance = target logit (rel. 1e-4), for no cut-off and
    /// (where the graph has no padding layer, whose relevance is cropped) for every cut-off.
    func testConservation() throws {
        for (name, make) in TestGraphs.all {
            let g = withoutBiases(make())
            let e = try Explainer(graph: g, plan: try RulePlan(preset: .epsilon, epsilon: 1e-9))
            var rng = SeededRandom(21)
            // inputs large enough that activations are O(1): the fixed 1e-6 stabiliser of
            // pooling and sums (zennit's) otherwise absorbs a visible share ~1e-6/|z|
            let x = NDArray(shape: [2] + g.inputShape, data: rng.floats(2 * g.inputShape.reduce(1, *), -20...20))
            let pass = try e.forward(x)
            let hasPad = g.nodes.contains { if case .pad = $0.op { return true } else { return false } }
            let ks = hasPad ? [0] : Array(0...e.mappingLayerCount)
            // the largest logit of each sample: a tiny one would test float32 cancellation instead
            let c = e.classCount
            let targets = (0..<2).map { n in (0..<c).max { abs(pass.logits.data[n * c + $0]) < abs(pass.logits.data[n * c + $1]) }! }
            let maps = try e.explain(pass, targets: targets, cutoffs: ks)
            let per = g.inputShape.reduce(1, *)
            for (k, map) in zip(ks, maps) {
                for (n, t) in targets.enumerated() {
                    let logit = pass.logits.data[n * e.classCount + t]
                    let total = map.data[(n * per)..<((n + 1) * per)].reduce(0, +)
                    XCTAssertEqual(total, logit, accuracy: 1e-4 * abs(logit), "\(name) K=\(k) sample \(n)")
                }
            }
        }
    }

    /// Cut-off at the last layer of conv(3×3, valid) → flatten → linear: the map is the logit
    /// spread over receptive fields, proportional to how many windows cover each pixel
    /// (1 at a corner, 9 in the middle) and equal in every input channel.
    func testFullCutOffSpreadsOverReceptiveFields() throws {
        var b = TestGraphBuilder(input: [2, 5, 5], seed: 31)
        b.conv(4, k: 3, pad: (0, 0, 0, 0)); b.relu(); b.flatten(); b.linear(3)
        let g = b.graph()
        let e = try Explainer(graph: g, plan: try RulePlan(preset: .alpha2beta1))
        XCTAssertEqual(e.mappingLayerCount, 2)
        var rng = SeededRandom(32)
        let pass = try e.forward(NDArray(shape: [1, 2, 5, 5], data: rng.floats(50)))
        let map = try e.explain(pass, targets: [1], cutoff: 2)
        let logit = pass.logits.data[1]
        var coverage = [Float](repeating: 0, count: 25)
        for oh in 0..<3 { for ow in 0..<3 { for kh in 0..<3 { for kw in 0..<3 { coverage[(oh + kh) * 5 + ow + kw] += 1 } } } }
        let expected = coverage.map { logit * $0 / (81 * 2) }
        assertClose(Array(map.data[0..<25]), expected, tol: 1e-5, "channel 0")
        assertClose(Array(map.data[25..<50]), expected, tol: 1e-5, "channel 1")

        // cut-off 1: the linear layer keeps its rule, the conv is flat: channels still equal,
        // total still the conv's relevance, but no longer a pure coverage pattern
        let half = try e.explain(pass, targets: [1], cutoff: 1)
        assertClose(Array(half.data[0..<25]), Array(half.data[25..<50]), tol: 1e-6, "cut-off 1 channels equal")
    }

    /// The flat region grows with K: maps for K and K+1 differ exactly when a new mapping layer
    /// enters the region, and K = 0 with the epsilon preset equals the unmodified rule plan.
    func testCutOffChangesTheMapLayerByLayer() throws {
        let g = TestGraphs.branchy()
        let e = try Explainer(graph: g, plan: try RulePlan(preset: .epsilon))
        var rng = SeededRandom(41)
        let pass = try e.forward(NDArray(shape: [1] + g.inputShape, data: rng.floats(g.inputShape.reduce(1, *))))
        let maps = try e.explain(pass, targets: [2], cutoffs: Array(0...e.mappingLayerCount))
        for k in 1..<maps.count {
            let diff = zip(maps[k - 1].data, maps[k].data).map { abs($0 - $1) }.max()!
            XCTAssertGreaterThan(diff, 1e-7, "K=\(k - 1) and K=\(k) should differ")
        }
        // under a full cut-off every input channel carries the same map
        let full = maps.last!.data, plane = g.inputShape[1] * g.inputShape[2]
        assertClose(Array(full[plane..<(2 * plane)]), Array(full[0..<plane]), tol: 1e-6, "channels equal under full cut-off")
    }
}
