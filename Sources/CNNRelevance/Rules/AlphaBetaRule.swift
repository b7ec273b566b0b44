import CKernels
import LRPCore

/// LRP-αβ (α − β = 1) with zennit's treatment of negative inputs and of the bias:
/// `R_i = Σ_j (α·P_ij/P_j − β·N_ij/N_j)·R_j`, `P_ij = x_i⁺w_ij⁺ + x_i⁻w_ij⁻`, `P_j = Σ_i P_ij + b_j⁺`,
/// `N_ij = x_i⁺w_ij⁻ + x_i⁻w_ij⁺`, `N_j = Σ_i N_ij + b_j⁻` (zennit's `AlphaBeta`; α=1, β=0 is `ZPlus`).
///
/// Speed: the weights are stacked per group as `[w⁺; w⁻]`, so one product of the input gives
/// both `w⁺x` and `w⁻x`, and for non-negative inputs (after a ReLU) one transposed product gives
/// `R_in = x ⊙ (w⁺ᵀa + w⁻ᵀb)` with `a = αR/P`, `b = −βR/N`. Only inputs with negative values
/// need the products of `x⁻` and the swapped stack `[w⁻; w⁺]` for `x⁻ ⊙ (w⁻ᵀa + w⁺ᵀb)`.
/// (Rewriting that as `(x ⊙ wᵀ(a+b) + |x| ⊙ |w|ᵀ(a−b))/2` halves the work but cancels
/// catastrophically when `N_j` or `P_j` is tiny, so it is not used.)
struct AlphaBetaRule: MappingRule {
    let alpha: Float
    let beta: Float

    var name: String { alpha == 1 && beta == 0 ? "z-plus" : "alpha-beta(\(alpha),\(beta))" }

    /// Builds `[w⁺; w⁻]`, `[w⁻; w⁺]` (per group), b⁺ and b⁻.
    func prepare(_ layer: MappingLayer) throws -> any PreparedMappingRule {
        let pos = layer.mappedWeights { max($0, 0) }, neg = layer.mappedWeights { min($0, 0) }
        var biasPos: FloatBuffer?, biasNeg: FloatBuffer?
        if let b = layer.bias {
            let bp = FloatBuffer(count: b.count), bn = FloatBuffer(count: b.count)
            for i in 0..<b.count { bp[i] = max(b[i], 0); bn[i] = min(b[i], 0) }
            (biasPos, biasNeg) = (bp, bn)
        }
        return Prepared(alpha: alpha, beta: beta, name: name, stackedPosNeg: layer.stacked(pos, neg),
                        stackedNegPos: layer.stacked(neg, pos), biasPos: biasPos, biasNeg: biasNeg)
    }

    /// The rule with the sign-split weights of one layer.
    struct Prepared: PreparedMappingRule, @unchecked Sendable {
        let alpha: Float
        let beta: Float
        let name: String
        /// Per group `[w⁺; w⁻]`, the weights of a convolution with twice the output channels
        /// (`MappingLayer.stackedGeometry`): one product gives both halves.
        let stackedPosNeg: FloatBuffer
        /// Per group `[w⁻; w⁺]`: the transposed product for the negative inputs.
        let stackedNegPos: FloatBuffer
        let biasPos: FloatBuffer?
        let biasNeg: FloatBuffer?
        let stabilizer: Float = RulePlan.stabilizer

        /// Keeps the stacked products `[w⁺x; w⁻x]` for the relevance pass. The layer output is the
        /// plain convolution `z = wx + b` (one product more), not `w⁺x + w⁻x + b` from the stacked
        /// halves: each half is much larger than z, and rounding in them (~ε·|w⁺x|, ~ε·|w⁻x|) survives
        /// their cancellation, so activations were several times less accurate than PyTorch's. That
        /// flipped near-zero residual sums across the ReLU and, through the sums' `Norm` split, cost
        /// 10× accuracy against zennit's float64 reference (ResNet-18 / DenseNet-121 with folded batch
        /// norms). zennit, too, explains the plain forward pass.
        func forward(_ layer: MappingLayer, input x: FloatBuffer, context ctx: EngineContext) throws
            -> (output: FloatBuffer, saved: SavedProducts)? {
            let saved = try products(layer, x, ctx)
            let z = FloatBuffer(count: ctx.batch * layer.output.count)
            try layer.forwardProducts(inputs: [x], weights: [layer.weight], biases: [layer.bias], outputs: [z],
                                      geometry: layer.geometry, context: ctx)
            return (z, saved)
        }

        /// `[w⁺x⁺; w⁻x⁺]` and, for inputs with negative values, `[w⁺x⁻; w⁻x⁻]`.
        private func products(_ layer: MappingLayer, _ x: FloatBuffer, _ ctx: EngineContext) throws -> SavedProducts {
            let wpm = stackedPosNeg
            let total = ctx.batch * layer.inputCount
            let negative = hasNegative(x, count: total, ctx)
            let sg = layer.stackedGeometry
            let outCount = layer.output.count, stackedCount = 2 * outCount
            let pn = FloatBuffer(count: ctx.batch * stackedCount)
            var inputs = [x], outputs = [pn]
            var pnNeg: FloatBuffer?
            if negative {
                let xp = FloatBuffer(count: total), xn = FloatBuffer(count: total)
                ctx.elementwise(total) { o, n in lrp_split_sign(x.pointer + o, xp.pointer + o, xn.pointer + o, n) }
                let q = FloatBuffer(count: ctx.batch * stackedCount)
                inputs = [xp, xn]
                outputs = [pn, q]
                pnNeg = q
            }
            try layer.forwardProducts(inputs: inputs, weights: Array(repeating: wpm, count: inputs.count),
                                      outputs: outputs, geometry: sg, context: ctx)
            return SavedProducts(positive: pn, negative: pnNeg)
        }

        func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                       relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
            let x = try required(x, "input", of: layer)
            let (wpm, wnp) = (stackedPosNeg, stackedNegPos)
            let products = try saved ?? self.products(layer, x, ctx)
            let R = r.materialized(layer.output, batch: ctx.batch)
            let total = ctx.batch * layer.inputCount
            let sg = layer.stackedGeometry
            let outCount = layer.output.count, stackedCount = 2 * outCount
            let pn = products.positive, pnNeg = products.negative
            let groups = Int32(layer.groups), perGroup = Int32(layer.outPerGroup), spatial = Int32(layer.output.spatial)
            let (a, b, s) = (alpha, beta, stabilizer)
            let bp = biasPos?.pointer, bn = biasNeg?.pointer
            // g = [a; b] = [α R/P; −β R/N] per group
            let g = FloatBuffer(count: ctx.batch * stackedCount)
            let status = StatusCollector()
            WorkSplit.run(batch: ctx.batch, extent: layer.output.spatial, serial: ctx.serial) { n, sp, _ in
                status.check(lrp_alphabeta_normalize(R.pointer + n * outCount, pn.pointer + n * stackedCount,
                                            pnNeg.map { $0.pointer + n * stackedCount }, bp, bn, groups, perGroup,
                                            spatial, Int32(sp.lowerBound), Int32(sp.upperBound), a, b, s,
                                            g.pointer + n * stackedCount))
            }
            try status.throwIfFailed("alpha-beta rule of \(layer.name)")
            let dPos = FloatBuffer(count: total)
            if pnNeg != nil {
                let dNeg = FloatBuffer(count: total)
                try layer.backwardProducts(weights: [wpm, wnp], dys: [g, g], dxs: [dPos, dNeg], geometry: sg,
                                           context: ctx) { range in
                    let o = range.lowerBound
                    lrp_signed_mul(x.pointer + o, dPos.pointer + o, dNeg.pointer + o, dPos.pointer + o, range.count)
                }
            } else {
                try layer.backwardProducts(weights: [wpm], dys: [g], dxs: [dPos], geometry: sg, context: ctx) { range in
                    let o = range.lowerBound
                    lrp_mul(x.pointer + o, dPos.pointer + o, dPos.pointer + o, range.count)
                }
            }
            return .full(dPos)
        }

        private func hasNegative(_ x: FloatBuffer, count: Int, _ ctx: EngineContext) -> Bool {
            let flags = FloatBuffer(zeros: WorkSplit.workers)
            var found = false
            if ctx.serial || count < 65_536 {
                found = lrp_has_negative(x.pointer, count) != 0
            } else {
                WorkSplit.run(batch: 1, extent: count) { _, r, slot in
                    if lrp_has_negative(x.pointer + r.lowerBound, r.count) != 0 { flags[slot] = 1 }
                }
                found = (0..<flags.count).contains { flags[$0] != 0 }
            }
            return found
        }

    }
}
