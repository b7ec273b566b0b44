import CKernels
import LRPCore

/// LRP-αβ (α − β = 1) with zennit's treatment of negative inputs and of the bias:
/// `R_i = Σ_j (α·P_ij/P_j − β·N_ij/N_j)·R_j`, `P_ij = x_i⁺w_ij⁺ + x_i⁻w_ij⁻`, `P_j = Σ_i P_ij + b_j⁺`,
/// `N_ij = x_i⁺w_ij⁻ + x_i⁻w_ij⁺`, `N_j = Σ_i N_ij + b_j⁻` (zennit's `AlphaBeta`; α=1, β=0 is `ZPlus`).
///
/// Speed: for a non-negative input (after a ReLU) the forward pass is one product with the
/// weights stacked per group as `[w⁺; w⁻; w]` — one im2col and one larger GEMM give `w⁺x`, `w⁻x`
/// and the layer output `wx + b` — and one transposed product with `[w⁺; w⁻]` gives
/// `R_in = x ⊙ (w⁺ᵀa + w⁻ᵀb)` with `a = αR/P`, `b = −βR/N`. z-plus (β = 0) needs no N: its
/// stack is `[w⁺; w]` and the transposed product uses `w⁺` alone, half the work of both passes.
/// Only inputs with negative values need the products of `x⁻` (and, for β > 0, the swapped
/// stack `[w⁻; w⁺]` for `x⁻ ⊙ (w⁻ᵀa + w⁺ᵀb)`).
/// (Rewriting that as `(x ⊙ wᵀ(a+b) + |x| ⊙ |w|ᵀ(a−b))/2` halves the work but cancels
/// catastrophically when `N_j` or `P_j` is tiny, so it is not used.)
struct AlphaBetaRule: MappingRule {
    let alpha: Float
    let beta: Float

    var name: String { alpha == 1 && beta == 0 ? "z-plus" : "alpha-beta(\(alpha),\(beta))" }

    /// Builds the forward stack (`[w⁺; w⁻; w]`, or `[w⁺; w]` for β = 0) with its bias `[0; 0; b]`,
    /// the backward stacks `[w⁺; w⁻]`, `[w⁻; w⁺]` (β > 0) or w⁺, w⁻ (β = 0), and b⁺, b⁻.
    func prepare(_ layer: MappingLayer) throws -> any PreparedMappingRule {
        let pos = layer.mappedWeights { max($0, 0) }, neg = layer.mappedWeights { min($0, 0) }
        var biasPos: FloatBuffer?, biasNeg: FloatBuffer?
        if let b = layer.bias {
            let bp = FloatBuffer(count: b.count), bn = FloatBuffer(count: b.count)
            for i in 0..<b.count { bp[i] = max(b[i], 0); bn[i] = min(b[i], 0) }
            (biasPos, biasNeg) = (bp, bn)
        }
        let plusOnly = beta == 0
        let forwardParts = plusOnly ? [pos, layer.weight] : [pos, neg, layer.weight]
        var forwardBias: FloatBuffer?
        if let b = layer.bias {
            let zero = FloatBuffer(zeros: b.count)
            forwardBias = layer.stackedBias(plusOnly ? [zero, b] : [zero, zero, b])
        }
        return Prepared(alpha: alpha, beta: beta, name: name, plusOnly: plusOnly,
                        forwardStack: layer.stacked(forwardParts), forwardBias: forwardBias,
                        parts: forwardParts.count, weightPos: pos, weightNeg: neg,
                        stackedPosNeg: plusOnly ? nil : layer.stacked([pos, neg]),
                        stackedNegPos: plusOnly ? nil : layer.stacked([neg, pos]), biasPos: biasPos, biasNeg: biasNeg)
    }

    /// The rule with the sign-split weights of one layer.
    struct Prepared: PreparedMappingRule, @unchecked Sendable {
        let alpha: Float
        let beta: Float
        let name: String
        /// β = 0 (z-plus): only `P` and the `w⁺` half are needed.
        let plusOnly: Bool
        /// Per group `[w⁺; w⁻; w]` (`[w⁺; w]` for z-plus): the one forward product of a
        /// non-negative input.
        let forwardStack: FloatBuffer
        /// `[0; 0; b]` per group (`[0; b]`), so the last part is the layer output `wx + b`.
        let forwardBias: FloatBuffer?
        /// Parts of `forwardStack` per group (3, or 2 for z-plus).
        let parts: Int
        let weightPos: FloatBuffer
        let weightNeg: FloatBuffer
        /// Per group `[w⁺; w⁻]` (β > 0): the transposed product of `[a; b]`, and the forward
        /// products of the parts of an input with negative values.
        let stackedPosNeg: FloatBuffer?
        /// Per group `[w⁻; w⁺]` (β > 0): the transposed product for the negative inputs.
        let stackedNegPos: FloatBuffer?
        let biasPos: FloatBuffer?
        let biasNeg: FloatBuffer?
        let stabilizer: Float = RulePlan.stabilizer

        /// Keeps the products `w⁺x`, `w⁻x` for the relevance pass. The layer output is the plain
        /// convolution `z = wx + b` (the last part of the stacked product, or one product more for
        /// an input with negative values), not `w⁺x + w⁻x + b` from the halves: each half is much
        /// larger than z, and rounding in them (~ε·|w⁺x|, ~ε·|w⁻x|) survives their cancellation, so
        /// activations were several times less accurate than PyTorch's. That flipped near-zero
        /// residual sums across the ReLU and, through the sums' `Norm` split, cost 10× accuracy
        /// against zennit's float64 reference (ResNet-18 / DenseNet-121 with folded batch norms).
        /// zennit, too, explains the plain forward pass.
        func forward(_ layer: MappingLayer, input x: FloatBuffer, context ctx: EngineContext) throws
            -> (output: FloatBuffer, saved: SavedProducts)? {
            let total = ctx.batch * layer.inputCount
            let outCount = layer.output.count
            let z = FloatBuffer(count: ctx.batch * outCount)
            if !hasNegative(x, count: total, ctx) {
                let stackedCount = parts * outCount
                let s = FloatBuffer(count: ctx.batch * stackedCount)
                let (groups, per, spatial) = (Int32(layer.groups), Int32(layer.outPerGroup), Int32(layer.output.spatial))
                let width = Int32(parts) * per, offset = Int32(parts - 1) * per
                try layer.forwardProducts(inputs: [x], weights: [forwardStack], biases: [forwardBias], outputs: [s],
                                          geometry: layer.stackedGeometry(parts: parts), context: ctx)
                // The output and the kept products are copied out, so the stack is freed here and
                // the relevance pass keeps only `[w⁺x; w⁻x]` (z-plus: `w⁺x`).
                let keptPer = Int32(parts - 1) * per, keptCount = (parts - 1) * outCount
                let kept = FloatBuffer(count: ctx.batch * keptCount)
                let status = StatusCollector()
                WorkSplit.run(batch: ctx.batch, extent: 1, serial: ctx.serial) { n, _, _ in
                    status.check(lrp_copy_group_rows(s.pointer + n * stackedCount, width, offset, groups, per, spatial,
                                                     z.pointer + n * outCount))
                    status.check(lrp_copy_group_rows(s.pointer + n * stackedCount, width, 0, groups, keptPer, spatial,
                                                     kept.pointer + n * keptCount))
                }
                try status.throwIfFailed("forward of \(layer.name)")
                return (z, SavedProducts(positive: kept, negative: nil, groupChannels: Int(keptPer)))
            }
            try layer.forwardProducts(inputs: [x], weights: [layer.weight], biases: [layer.bias], outputs: [z],
                                      geometry: layer.geometry, context: ctx)
            return (z, try negativeProducts(layer, x, ctx))
        }

        /// The products the relevance pass reads, without the layer output: `[w⁺x; w⁻x]` per group
        /// (z-plus: `w⁺x`) for a non-negative input, else `negativeProducts` — for a forward pass
        /// that did not keep them (`ForwardStep.keepProducts`).
        private func products(_ layer: MappingLayer, _ x: FloatBuffer, _ ctx: EngineContext) throws -> SavedProducts {
            guard !hasNegative(x, count: ctx.batch * layer.inputCount, ctx) else { return try negativeProducts(layer, x, ctx) }
            let parts = plusOnly ? 1 : 2
            let p = FloatBuffer(count: ctx.batch * parts * layer.output.count)
            try layer.forwardProducts(inputs: [x], weights: [plusOnly ? weightPos : stackedPosNeg!], outputs: [p],
                                      geometry: layer.stackedGeometry(parts: parts), context: ctx)
            return SavedProducts(positive: p, negative: nil, groupChannels: parts * layer.outPerGroup)
        }

        /// Products of an input with negative values, from its parts x⁺ and x⁻: `[w⁺x⁺; w⁻x⁺]` and
        /// `[w⁺x⁻; w⁻x⁻]`, or for z-plus `w⁺x⁺` and `w⁻x⁻`.
        private func negativeProducts(_ layer: MappingLayer, _ x: FloatBuffer, _ ctx: EngineContext) throws -> SavedProducts {
            let total = ctx.batch * layer.inputCount
            let xp = FloatBuffer(count: total), xn = FloatBuffer(count: total)
            ctx.elementwise(total) { o, n in lrp_split_sign(x.pointer + o, xp.pointer + o, xn.pointer + o, n) }
            let outCount = layer.output.count
            if plusOnly {
                let pp = FloatBuffer(count: ctx.batch * outCount), qn = FloatBuffer(count: ctx.batch * outCount)
                try layer.forwardProducts(inputs: [xp, xn], weights: [weightPos, weightNeg], outputs: [pp, qn],
                                          geometry: layer.geometry, context: ctx)
                return SavedProducts(positive: pp, negative: qn, groupChannels: layer.outPerGroup)
            }
            let wpm = stackedPosNeg!
            let pn = FloatBuffer(count: ctx.batch * 2 * outCount), q = FloatBuffer(count: ctx.batch * 2 * outCount)
            try layer.forwardProducts(inputs: [xp, xn], weights: [wpm, wpm], outputs: [pn, q],
                                      geometry: layer.stackedGeometry(parts: 2), context: ctx)
            return SavedProducts(positive: pn, negative: q, groupChannels: 2 * layer.outPerGroup)
        }

        func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                       relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
            let x = try required(x, "input", of: layer)
            let products = try saved ?? products(layer, x, ctx)
            let R = r.materialized(layer.output, batch: ctx.batch)
            let total = ctx.batch * layer.inputCount
            let outCount = layer.output.count
            let productCount = products.groupChannels * layer.groups * layer.output.spatial
            let pn = products.positive, pnNeg = products.negative
            let groups = Int32(layer.groups), perGroup = Int32(layer.outPerGroup), spatial = Int32(layer.output.spatial)
            let width = Int32(products.groupChannels)
            let (a, b, s) = (alpha, beta, stabilizer)
            let bp = biasPos?.pointer, bn = biasNeg?.pointer
            let status = StatusCollector()
            let dPos = FloatBuffer(count: total)
            if plusOnly {
                // a = αR/P, then x⁺ ⊙ w⁺ᵀa (+ x⁻ ⊙ w⁻ᵀa)
                let g = FloatBuffer(count: ctx.batch * outCount)
                WorkSplit.run(batch: ctx.batch, extent: layer.output.spatial, serial: ctx.serial) { n, sp, _ in
                    status.check(lrp_zplus_normalize(R.pointer + n * outCount, pn.pointer + n * productCount,
                                                     pnNeg.map { $0.pointer + n * productCount }, width, bp, groups,
                                                     perGroup, spatial, Int32(sp.lowerBound), Int32(sp.upperBound), a, s,
                                                     g.pointer + n * outCount))
                }
                try status.throwIfFailed("z-plus rule of \(layer.name)")
                if pnNeg != nil {
                    let dNeg = FloatBuffer(count: total)
                    try layer.backwardProducts(weights: [weightPos, weightNeg], dys: [g, g], dxs: [dPos, dNeg],
                                               geometry: layer.geometry, context: ctx) { range in
                        let o = range.lowerBound
                        lrp_signed_mul(x.pointer + o, dPos.pointer + o, dNeg.pointer + o, dPos.pointer + o, range.count)
                    }
                } else {
                    try layer.backwardProducts(weights: [weightPos], dys: [g], dxs: [dPos], geometry: layer.geometry,
                                               context: ctx) { range in
                        let o = range.lowerBound
                        lrp_mul(x.pointer + o, dPos.pointer + o, dPos.pointer + o, range.count)
                    }
                }
                return .full(dPos)
            }
            let (wpm, wnp) = (stackedPosNeg!, stackedNegPos!)
            let sg = layer.stackedGeometry(parts: 2)
            let stackedCount = 2 * outCount
            // g = [a; b] = [α R/P; −β R/N] per group
            let g = FloatBuffer(count: ctx.batch * stackedCount)
            WorkSplit.run(batch: ctx.batch, extent: layer.output.spatial, serial: ctx.serial) { n, sp, _ in
                status.check(lrp_alphabeta_normalize_strided(R.pointer + n * outCount, pn.pointer + n * productCount,
                                                             pnNeg.map { $0.pointer + n * productCount }, width, bp, bn,
                                                             groups, perGroup, spatial, Int32(sp.lowerBound),
                                                             Int32(sp.upperBound), a, b, s, g.pointer + n * stackedCount))
            }
            try status.throwIfFailed("alpha-beta rule of \(layer.name)")
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
