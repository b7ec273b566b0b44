import CKernels
import LRPCore

/// Per-channel `y = scale[c]·x + shift[c]`: a batch normalisation that could not be folded into
/// the mapping layer before it, or a bias on its own. Explained with epsilon,
/// `R_x = x·s·R / (z + ε·sign z)`; relevance passes through in the cut-off region.
struct ChannelAffineKind: LayerKind {
    let affine: ChannelAffine

    var category: LayerCategory? { .unfoldedBatchNorm }

    var summary: String { "channel affine" }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { inputs[0] }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        let c = io.input[0]
        guard affine.scale.count == c, affine.shift.count == c else {
            throw LRPError("\(io.label): \(affine.scale.count) scales / \(affine.shift.count) shifts for \(c) channels")
        }
        try requireFinite(affine.scale, "scale", io)
        try requireFinite(affine.shift, "shift", io)
        return ChannelAffineLayer(scale: FloatBuffer(affine.scale), shift: FloatBuffer(affine.shift))
    }
}

struct ChannelAffineLayer: EngineLayer, @unchecked Sendable {
    let scale: FloatBuffer
    let shift: FloatBuffer

    func assignRule(_ composite: Composite, number: Int?, node: NodeShapes) throws -> NodeRule {
        .epsilon(composite.unfoldedBatchNormEpsilon(name: node.name))
    }

    func reads(_ rule: NodeRule) -> ValuesRead { ValuesRead(inputs: [true], output: true) }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput(), layout = step.layouts.output, s = layout.spatial
        let (scale, shift) = (self.scale, self.shift)
        WorkSplit.run(batch: step.batch, extent: layout.channels, serial: step.context.serial) { n, cs, _ in
            let o = n * layout.count + cs.lowerBound * s
            lrp_channel_affine(x.pointer + o, scale.pointer + cs.lowerBound, shift.pointer + cs.lowerBound,
                               Int32(cs.count), s, y.pointer + o)
        }
        return (y, nil)
    }

    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        guard case .epsilon(let epsilon) = step.rule else { throw LRPError("internal error: no rule for \(step.name)") }
        let x = try step.input(0), z = try step.outputValue(), layout = step.layouts.output
        let R = r.materialized(layout, batch: step.batch)
        let out = FloatBuffer(count: R.count), s = layout.spatial, scale = self.scale
        WorkSplit.run(batch: step.batch, extent: layout.channels, serial: step.context.serial) { n, cs, _ in
            let o = n * layout.count + cs.lowerBound * s
            lrp_channel_affine_epsilon(x.pointer + o, scale.pointer + cs.lowerBound, z.pointer + o, R.pointer + o,
                                       epsilon, Int32(cs.count), s, out.pointer + o)
        }
        return [.full(out)]
    }

    func flatRelevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] { [r] }
}
