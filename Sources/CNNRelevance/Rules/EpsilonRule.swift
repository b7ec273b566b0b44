import CKernels
import LRPCore

/// LRP-ε: `R_i = Σ_j z_ij / (z_j + ε·sign z_j) · R_j`, bias inside `z_j` (zennit's `Epsilon`).
/// ε = 0 is LRP-0 (the z rule), with 0/0 = 0.
struct EpsilonRule: MappingRule, PreparedMappingRule {
    let epsilon: Float

    var name: String { epsilon == 0 ? "z" : "epsilon(\(epsilon))" }
    var readsOutput: Bool { true }

    func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                   relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
        let x = try required(x, "input", of: layer), z = try required(z, "output", of: layer)
        let R = r.materialized(layer.output, batch: ctx.batch)
        let g = FloatBuffer(count: R.count)
        let eps = epsilon
        ctx.elementwise(R.count) { o, n in lrp_epsilon_normalize(R.pointer + o, z.pointer + o, eps, g.pointer + o, n) }
        let d = FloatBuffer(count: ctx.batch * layer.inputCount)
        try layer.backwardProducts(weights: [layer.weight], dys: [g], dxs: [d], geometry: layer.geometry,
                                   context: ctx) { range in
            lrp_mul(x.pointer + range.lowerBound, d.pointer + range.lowerBound, d.pointer + range.lowerBound, range.count)
        }
        return .full(d)
    }
}
