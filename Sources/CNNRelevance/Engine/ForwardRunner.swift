import CKernels
import Foundation
import LRPCore

/// Runs a prepared graph forward on a batch and keeps the values the relevance pass reads
/// (`keep`); every other value is released as soon as its last reader has run, so its memory
/// is reused by later layers. Reshape-like layers share their input's buffer.
struct ForwardRunner {
    let graph: PreparedGraph
    /// Rules whose own forward keeps products for the relevance pass (empty: plain forward).
    let rules: [Int: MappingRule]
    /// Values to keep after the pass, by value index.
    let keep: [Bool]

    /// The values the relevance pass reads under `rules` (outside the cut-off region; the flat
    /// region reads none), plus the input and the logits.
    static func valuesRead(_ graph: PreparedGraph, rules: [Int: MappingRule], plan: RulePlan) -> [Bool] {
        var keep = Array(repeating: false, count: graph.shapes.count)
        keep[0] = true
        keep[graph.logitValue] = true
        for node in graph.nodes {
            switch node.op {
            case .mapping:
                if let rule = rules[node.index] {
                    if rule.readsInput { keep[node.inputs[0]] = true }
                    if rule.readsOutput { keep[node.output] = true }
                }
            case .maxPool, .averagePool:
                keep[node.inputs[0]] = true
            case .channelAffine:
                keep[node.inputs[0]] = true
                keep[node.output] = true
            case .add:
                node.inputs.forEach { keep[$0] = true }
            case .relu, .clip, .alias, .concat, .pad, .lrn, .softmax:
                break
            }
        }
        return keep
    }

    func run(input: FloatBuffer, batch: Int, context ctx: EngineContext) throws
        -> (values: [FloatBuffer?], saved: [Int: SavedProducts]) {
        var values = [FloatBuffer?](repeating: nil, count: graph.shapes.count)
        var saved: [Int: SavedProducts] = [:]
        var lastRead = Array(repeating: -1, count: graph.shapes.count)
        for node in graph.nodes { node.inputs.forEach { lastRead[$0] = node.index } }
        values[0] = input
        for node in graph.nodes {
            let xs = node.inputs.map { values[$0]! }
            if case .mapping(let layer) = node.op, let rule = rules[node.index],
               let (y, kept) = try rule.forward(layer, input: xs[0], context: ctx) {
                values[node.output] = y
                saved[node.index] = kept
            } else {
                values[node.output] = try forward(node, xs, batch: batch, ctx)
            }
            for v in node.inputs + [node.output] where !keep[v] && lastRead[v] <= node.index {
                values[v] = nil
            }
        }
        return (values, saved)
    }

    private func forward(_ node: PreparedNode, _ xs: [FloatBuffer], batch: Int, _ ctx: EngineContext) throws -> FloatBuffer {
        let outLayout = graph.layouts[node.output]
        let total = batch * outLayout.count
        let x = xs[0]
        switch node.op {
        case .mapping(let layer):
            let y = FloatBuffer(count: total)
            try layer.forwardProducts(inputs: [x], weights: [layer.weight], biases: [layer.bias], outputs: [y],
                                      geometry: layer.geometry, context: ctx)
            return y
        case .relu:
            let y = FloatBuffer(count: total)
            ctx.elementwise(total) { o, n in lrp_relu(x.pointer + o, y.pointer + o, n) }
            return y
        case .clip(let lo, let hi):
            let y = FloatBuffer(count: total)
            ctx.elementwise(total) { o, n in lrp_clip(x.pointer + o, lo, hi, y.pointer + o, n) }
            return y
        case .alias:
            return x
        case .add:
            let y = FloatBuffer(count: total), b = xs[1]
            ctx.elementwise(total) { o, n in lrp_add(x.pointer + o, b.pointer + o, y.pointer + o, n) }
            return y
        case .maxPool(let g), .averagePool(let g):
            let y = FloatBuffer(count: total)
            let inCount = graph.layouts[node.inputs[0]].count
            let isMax: Bool
            if case .maxPool = node.op { isMax = true } else { isMax = false }
            WorkSplit.run(batch: batch, extent: Int(g.channels), serial: ctx.serial) { n, cs, _ in
                var geo = g
                let xp = x.pointer + n * inCount, yp = y.pointer + n * outLayout.count
                if isMax {
                    _ = lrp_maxpool_forward(&geo, xp, yp, Int32(cs.lowerBound), Int32(cs.upperBound))
                } else {
                    _ = lrp_avgpool_forward(&geo, xp, yp, Int32(cs.lowerBound), Int32(cs.upperBound))
                }
            }
            return y
        case .channelAffine(let scale, let shift):
            let y = FloatBuffer(count: total)
            let s = outLayout.spatial
            WorkSplit.run(batch: batch, extent: outLayout.channels, serial: ctx.serial) { n, cs, _ in
                let o = n * outLayout.count + cs.lowerBound * s
                lrp_channel_affine(x.pointer + o, scale.pointer + cs.lowerBound, shift.pointer + cs.lowerBound,
                                   Int32(cs.count), s, y.pointer + o)
            }
            return y
        case .concat:
            let y = FloatBuffer(count: total)
            for n in 0..<batch {
                var offset = n * outLayout.count
                for (k, v) in node.inputs.enumerated() {
                    let c = graph.layouts[v].count
                    (y.pointer + offset).update(from: xs[k].pointer + n * c, count: c)
                    offset += c
                }
            }
            return y
        case .pad(let p):
            let y = FloatBuffer(count: total)
            let inL = graph.layouts[node.inputs[0]]
            WorkSplit.run(batch: batch, extent: 1, serial: ctx.serial) { n, _, _ in
                lrp_pad2d(x.pointer + n * inL.count, Int32(inL.channels), Int32(inL.height), Int32(inL.width),
                          Int32(p.top), Int32(p.left), Int32(p.bottom), Int32(p.right), p.value,
                          y.pointer + n * outLayout.count)
            }
            return y
        case .lrn(let size, let alpha, let beta, let bias):
            let y = FloatBuffer(count: total)
            WorkSplit.run(batch: batch, extent: 1, serial: ctx.serial) { n, _, _ in
                let o = n * outLayout.count
                lrp_lrn_forward(x.pointer + o, Int32(outLayout.channels), outLayout.spatial, Int32(size), alpha,
                                beta, bias, y.pointer + o)
            }
            return y
        case .softmax:
            let y = FloatBuffer(count: total)
            let c = outLayout.count
            for n in 0..<batch {
                var m = -Float.infinity
                for i in 0..<c { m = max(m, x[n * c + i]) }
                var sum: Float = 0
                for i in 0..<c {
                    let e = expf(x[n * c + i] - m)
                    y[n * c + i] = e
                    sum += e
                }
                for i in 0..<c { y[n * c + i] /= sum }
            }
            return y
        }
    }
}
