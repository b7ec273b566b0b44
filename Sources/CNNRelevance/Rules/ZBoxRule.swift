import CKernels
import LRPCore

/// z-box (zennit's `ZBox`) for the first layer with input bounds `l ≤ x ≤ h` per input channel:
/// `R_i = Σ_j (x_i w_ij − l_i w_ij⁺ − h_i w_ij⁻) / Σ_i' (x_i' w_i'j − l_i' w_i'j⁺ − h_i' w_i'j⁻) · R_j`.
/// The bias cancels in the denominator (b − b⁺ − b⁻ = 0), so none is used. The bound terms do
/// not depend on the input and are computed once.
struct ZBoxRule: MappingRule {
    /// Bounds per input channel (already expanded to the layer's input channels).
    let low: [Float]
    let high: [Float]
    var name: String { "zbox" }

    func prepare(_ layer: MappingLayer) throws -> any PreparedMappingRule {
        guard low.count == layer.input.channels, high.count == layer.input.channels else {
            throw LRPError("z-box bounds have \(low.count) values but the first layer \(layer.name) has \(layer.input.channels) input channels")
        }
        let pos = layer.mappedWeights { max($0, 0) }, neg = layer.mappedWeights { min($0, 0) }
        let s = layer.input.spatial
        let lowMap = FloatBuffer(count: layer.inputCount), highMap = FloatBuffer(count: layer.inputCount)
        for c in 0..<layer.input.channels {
            (lowMap.pointer + c * s).update(repeating: low[c], count: s)
            (highMap.pointer + c * s).update(repeating: high[c], count: s)
        }
        let zl = FloatBuffer(count: layer.output.count), zh = FloatBuffer(count: layer.output.count)
        let ctx = EngineContext(batch: 1, workspace: Workspace(), serial: false)
        try layer.forwardProducts(inputs: [lowMap, highMap], weights: [pos, neg], outputs: [zl, zh],
                                  geometry: layer.geometry, context: ctx)
        return Prepared(low: low, high: high, positive: pos, negative: neg, lowTerm: zl, highTerm: zh)
    }

    /// w⁺, w⁻ and the input-independent bound terms `w⁺l` and `w⁻h` per output position.
    struct Prepared: PreparedMappingRule, @unchecked Sendable {
        let low: [Float]
        let high: [Float]
        let positive: FloatBuffer
        let negative: FloatBuffer
        let lowTerm: FloatBuffer
        let highTerm: FloatBuffer
        let stabilizer: Float = RulePlan.stabilizer

        var name: String { "zbox" }

        func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                       relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
            let x = try required(x, "input", of: layer)
            let (pos, neg, zl, zh) = (positive, negative, lowTerm, highTerm)
            let R = r.materialized(layer.output, batch: ctx.batch)
            let per = layer.output.count
            let zx = FloatBuffer(count: R.count)
            try layer.forwardProducts(inputs: [x], weights: [layer.weight], outputs: [zx], geometry: layer.geometry,
                                      context: ctx)
            let g = zx  // reused: g = R / stab(w x − w⁺ l − w⁻ h)
            let s = stabilizer
            for n in 0..<ctx.batch {
                let base = n * per
                for i in 0..<per {
                    let d = zx[base + i] - zl[i] - zh[i]
                    let st = stabilized(d, s)
                    g[base + i] = st == 0 ? 0 : R[base + i] / st
                }
            }
            let count = ctx.batch * layer.inputCount
            let d1 = FloatBuffer(count: count), d2 = FloatBuffer(count: count), d3 = FloatBuffer(count: count)
            try layer.backwardProducts(weights: [layer.weight, pos, neg], dys: [g, g, g], dxs: [d1, d2, d3],
                                       geometry: layer.geometry, context: ctx)
            let out = FloatBuffer(count: count)
            let channels = layer.input.channels, spatial = layer.input.spatial
            low.withUnsafeBufferPointer { lo in
                high.withUnsafeBufferPointer { hi in
                    for n in 0..<ctx.batch {
                        let o = n * layer.inputCount
                        lrp_zbox_combine(x.pointer + o, lo.baseAddress, hi.baseAddress, d1.pointer + o, d2.pointer + o,
                                         d3.pointer + o, Int32(channels), spatial, out.pointer + o)
                    }
                }
            }
            return .full(out)
        }
    }
}
