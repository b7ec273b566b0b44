import CKernels
import LRPCore

/// Local response normalisation across channels. Relevance passes through (as zennit does
/// for normalisations it has no rule for).
struct LRNKind: ActivationKind {
    let size: Int
    let alpha: Float
    let beta: Float
    let bias: Float

    var summary: String { "lrn \(size)" }
    /// Across channels: output restriction may not move through it.
    func isChannelwise(_ io: NodeShapes) -> Bool { false }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        guard size > 0 else { throw LRPError("\(io.label): LRN size must be positive") }
        try requireFinite([alpha, beta, bias], "parameter", io)
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput(), layout = step.layouts.output
        WorkSplit.run(batch: step.batch, extent: 1, serial: step.context.serial) { n, _, _ in
            let o = n * layout.count
            lrp_lrn_forward(x.pointer + o, Int32(layout.channels), layout.spatial, Int32(size), alpha, beta, bias,
                            y.pointer + o)
        }
        return (y, nil)
    }
}
