import CKernels
import LRPCore

/// LRP-w²: `R_i = Σ_j w_ij² / Σ_i' w_i'j² · R_j`, no bias, independent of the input
/// (zennit's `WSquare` with the bias zeroed). As in zennit the denominator of an output position
/// counts only the taps inside the input (conv(ones, w²) with zero padding).
struct WSquareRule: MappingRule {
    var name: String { "wsquare" }

    func prepare(_ layer: MappingLayer) throws -> any PreparedMappingRule {
        let squared = layer.mappedWeights { $0 * $0 }
        let ones = FloatBuffer(repeating: 1, count: layer.inputCount)
        let denominator = FloatBuffer(count: layer.output.count)
        let ctx = EngineContext(batch: 1, workspace: Workspace(), serial: false)
        try layer.forwardProducts(inputs: [ones], weights: [squared], outputs: [denominator], geometry: layer.geometry,
                                  context: ctx)
        return Prepared(squared: squared, denominator: denominator)
    }

    /// w² and the per-output denominators conv(ones, w²).
    struct Prepared: PreparedMappingRule, @unchecked Sendable {
        let squared: FloatBuffer
        let denominator: FloatBuffer
        let stabilizer: Float = RulePlan.stabilizer

        var name: String { "wsquare" }
        var readsInput: Bool { false }

        func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                       relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
            let R = r.materialized(layer.output, batch: ctx.batch)
            let per = layer.output.count
            let g = FloatBuffer(count: R.count)
            for n in 0..<ctx.batch {
                lrp_epsilon_normalize(R.pointer + n * per, denominator.pointer, stabilizer, g.pointer + n * per, per)
            }
            let out = FloatBuffer(count: ctx.batch * layer.inputCount)
            try layer.backwardProducts(weights: [squared], dys: [g], dxs: [out], geometry: layer.geometry, context: ctx)
            return .full(out)
        }
    }
}
