import CKernels
import LRPCore

/// LRP-w²: `R_i = Σ_j w_ij² / Σ_i' w_i'j² · R_j`, no bias, independent of the input
/// (zennit's `WSquare` with the bias zeroed). As in zennit the denominator of an output position
/// counts only the taps inside the input (conv(ones, w²) with zero padding).
struct WSquareRule: MappingRule {
    let stabilizer: Float = RulePlan.stabilizer

    var name: String { "wsquare" }
    var readsInput: Bool { false }

    func prepare(_ layer: MappingLayer) throws {
        guard layer.squared == nil else { return }
        let sq = layer.mappedWeights { $0 * $0 }
        layer.squared = sq
        let ones = FloatBuffer(repeating: 1, count: layer.inputCount)
        let d = FloatBuffer(count: layer.output.count)
        let ctx = EngineContext(batch: 1, workspace: Workspace(), serial: false)
        try layer.forwardProducts(inputs: [ones], weights: [sq], outputs: [d], geometry: layer.geometry, context: ctx)
        layer.constants["wsquare.denominator"] = d
    }

    func relevance(_ layer: MappingLayer, input x: FloatBuffer, output z: FloatBuffer, saved: SavedProducts?,
                   relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
        guard let sq = layer.squared, let den = layer.constants["wsquare.denominator"] else {
            throw LRPError("internal error: \(layer.name) was not prepared for \(name)")
        }
        let R = r.materialized(layer.output, batch: ctx.batch)
        let per = layer.output.count
        let g = FloatBuffer(count: R.count)
        for n in 0..<ctx.batch {
            lrp_epsilon_normalize(R.pointer + n * per, den.pointer, stabilizer, g.pointer + n * per, per)
        }
        let out = FloatBuffer(count: ctx.batch * layer.inputCount)
        try layer.backwardProducts(weights: [sq], dys: [g], dxs: [out], geometry: layer.geometry, context: ctx)
        return .full(out)
    }
}
