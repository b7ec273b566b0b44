import CKernels
import LRPCore

/// Flat rule: `R_i = Σ_j R_j / |RF_j|`, uniform over the inputs connected to j, no bias
/// (zennit's `Flat`: conv(ones, ones) as denominator, so padding is not counted, plus the
/// stabiliser). Used for the flat first layer of the *-flat presets and for every mapping layer
/// inside the cut-off region.
///
/// Every input channel of a group receives the same map, so the result is kept as one spatial
/// map per sample (`Relevance.uniform`) whenever the layer has a single group; a uniform
/// relevance arriving from above costs one map as well.
struct FlatRule: MappingRule, PreparedMappingRule {
    let stabilizer: Float = RulePlan.stabilizer

    var name: String { "flat" }
    var readsInput: Bool { false }

    func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                   relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
        try spread(layer, r, ctx)
    }

    /// The flat rule needs neither activations nor weights.
    func spread(_ layer: MappingLayer, _ r: Relevance, _ ctx: EngineContext) throws -> Relevance {
        let batch = ctx.batch
        let outLayout = layer.output, inLayout = layer.input
        if layer.isLinear {
            // one value for every input: Σ_j R_j / (inF + stab)
            let inF = Float(layer.geometry.inChannels)
            let map = FloatBuffer(count: batch * inLayout.spatial)
            for n in 0..<batch {
                var total: Float = 0
                switch r {
                case .full(let b):
                    for o in 0..<outLayout.count { total += b[n * outLayout.count + o] }
                case .uniform(let m):
                    for p in 0..<outLayout.spatial { total += m[n * outLayout.spatial + p] }
                    total *= Float(outLayout.channels)
                case .channelSum(let m):
                    for p in 0..<outLayout.spatial { total += m[n * outLayout.spatial + p] }
                }
                (map.pointer + n * inLayout.spatial).update(repeating: total / (inF + stabilizer), count: inLayout.spatial)
            }
            return .uniform(map)
        }
        let g = layer.geometry
        let status = StatusCollector()
        let outS = outLayout.spatial, inS = inLayout.spatial
        let groups = layer.groups, inPerGroup = inLayout.channels / groups
        switch r {
        case .channelSum(let m):
            // Single group: the spread channel sum is every input channel's map. Depthwise: each
            // channel is spread alike, so the channel sum of the result is the spread sum.
            precondition(groups == 1 || inPerGroup == 1, "internal error: channel sum through a grouped convolution")
            let map = FloatBuffer(count: batch * inS)
            WorkSplit.run(batch: batch, extent: 1, serial: ctx.serial) { n, _, _ in
                var geo = g
                status.check(lrp_conv_flat_spread(&geo, m.pointer + n * outS, 1, stabilizer, map.pointer + n * inS))
            }
            try status.throwIfFailed("flat rule of \(layer.name)")
            return groups == 1 ? .uniform(map) : .channelSum(map)
        case .uniform(let m):
            let map = FloatBuffer(count: batch * inS)
            let scale = Float(layer.outPerGroup)
            WorkSplit.run(batch: batch, extent: 1, serial: ctx.serial) { n, _, _ in
                var geo = g
                status.check(lrp_conv_flat_spread(&geo, m.pointer + n * outS, scale, stabilizer, map.pointer + n * inS))
            }
            try status.throwIfFailed("flat rule of \(layer.name)")
            return .uniform(map)
        case .full(let b):
            if groups == 1 {
                let map = FloatBuffer(count: batch * inS)
                WorkSplit.run(batch: batch, extent: 1, serial: ctx.serial) { n, _, _ in
                    var geo = g
                    let sums = FloatBuffer(count: outS)
                    status.check(lrp_conv_group_sums(&geo, b.pointer + n * outLayout.count, sums.pointer, 0, 1))
                    status.check(lrp_conv_flat_spread(&geo, sums.pointer, 1, stabilizer, map.pointer + n * inS))
                }
                try status.throwIfFailed("flat rule of \(layer.name)")
                return .uniform(map)
            }
            let out = FloatBuffer(count: batch * inLayout.count)
            let sums = FloatBuffer(count: batch * groups * outS)
            WorkSplit.run(batch: batch, extent: groups, serial: ctx.serial) { n, grs, _ in
                var geo = g
                let sumsN = sums.pointer + n * groups * outS
                status.check(lrp_conv_group_sums(&geo, b.pointer + n * outLayout.count, sumsN,
                                                 Int32(grs.lowerBound), Int32(grs.upperBound)))
                let spread = FloatBuffer(count: inS)
                for k in grs {
                    status.check(lrp_conv_flat_spread(&geo, sumsN + k * outS, 1, stabilizer, spread.pointer))
                    for c in (k * inPerGroup)..<((k + 1) * inPerGroup) {
                        (out.pointer + n * inLayout.count + c * inS).update(from: spread.pointer, count: inS)
                    }
                }
            }
            try status.throwIfFailed("flat rule of \(layer.name)")
            return .full(out)
        }
    }
}
