import CKernels
import Foundation
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

    /// Builds the backward stacks `[w⁺; w⁻]`, `[w⁻; w⁺]` (β > 0) or w⁺, w⁻ (β = 0), b⁺, b⁻, and
    /// the recipe of the forward stack (`[w⁺; w⁻; w]`, or `[w⁺; w]` for β = 0, with bias `[0; 0; b]`).
    func prepare(_ layer: MappingLayer) throws -> any PreparedMappingRule {
        let pos = layer.mappedWeights { max($0, 0) }, neg = layer.mappedWeights { min($0, 0) }
        var biasPos: FloatBuffer?, biasNeg: FloatBuffer?
        if let b = layer.bias {
            let bp = FloatBuffer(count: b.count), bn = FloatBuffer(count: b.count)
            for i in 0..<b.count { bp[i] = max(b[i], 0); bn[i] = min(b[i], 0) }
            (biasPos, biasNeg) = (bp, bn)
        }
        let plusOnly = beta == 0
        // Built from the layer when first read, so it holds no copies of w⁺ and w⁻ until then.
        let forwardStack = LazyForwardStack {
            let pos = layer.mappedWeights { max($0, 0) }
            let parts = plusOnly ? [pos, layer.weight] : [pos, layer.mappedWeights { min($0, 0) }, layer.weight]
            var bias: FloatBuffer?
            if let b = layer.bias {
                let zero = FloatBuffer(zeros: b.count)
                bias = layer.stackedBias(plusOnly ? [zero, b] : [zero, zero, b])
            }
            return (layer.stacked(parts), bias)
        }
        // β > 0 reads w⁺ and w⁻ only through the stacks, so they are not kept on their own.
        return Prepared(alpha: alpha, beta: beta, name: name, plusOnly: plusOnly, forwardStack: forwardStack,
                        parts: plusOnly ? 2 : 3, weightPos: plusOnly ? pos : nil, weightNeg: plusOnly ? neg : nil,
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
        /// Per group `[w⁺; w⁻; w]` (`[w⁺; w]` for z-plus) with bias `[0; 0; b]` (`[0; b]`), so the
        /// last part is the layer output `wx + b`: the one forward product of a non-negative input
        /// when the products are kept. Built on first use: a pass that forms its products in the
        /// relevance step (`lrp-cnn explain`) never reads it, and it is 2–3 times the weights.
        let forwardStack: LazyForwardStack
        /// Parts of `forwardStack` per group (3, or 2 for z-plus).
        let parts: Int
        /// w⁺ and w⁻ (z-plus only).
        let weightPos: FloatBuffer?
        let weightNeg: FloatBuffer?
        /// Per group `[w⁺; w⁻]` (β > 0): the transposed product of `[a; b]`, and the forward
        /// products of a non-negative input or of the parts of an input with negative values.
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
                let (stack, stackBias) = forwardStack.value
                try layer.forwardProducts(inputs: [x], weights: [stack], biases: [stackBias], outputs: [s],
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

        /// Products of an input with negative values, from its parts x⁺ and x⁻: `[w⁺x⁺; w⁻x⁺]` and
        /// `[w⁺x⁻; w⁻x⁻]`, or for z-plus `w⁺x⁺` and `w⁻x⁻`.
        func negativeProducts(_ layer: MappingLayer, _ x: FloatBuffer, _ ctx: EngineContext) throws -> SavedProducts {
            let total = ctx.batch * layer.inputCount
            let xp = FloatBuffer(count: total), xn = FloatBuffer(count: total)
            ctx.elementwise(total) { o, n in lrp_split_sign(x.pointer + o, xp.pointer + o, xn.pointer + o, n) }
            let outCount = layer.output.count
            if plusOnly {
                let pp = FloatBuffer(count: ctx.batch * outCount), qn = FloatBuffer(count: ctx.batch * outCount)
                try layer.forwardProducts(inputs: [xp, xn], weights: [weightPos!, weightNeg!], outputs: [pp, qn],
                                          geometry: layer.geometry, context: ctx)
                return SavedProducts(positive: pp, negative: qn, groupChannels: layer.outPerGroup)
            }
            let wpm = stackedPosNeg!
            let pn = FloatBuffer(count: ctx.batch * 2 * outCount), q = FloatBuffer(count: ctx.batch * 2 * outCount)
            try layer.forwardProducts(inputs: [xp, xn], weights: [wpm, wpm], outputs: [pn, q],
                                      geometry: layer.stackedGeometry(parts: 2), context: ctx)
            return SavedProducts(positive: pn, negative: q, groupChannels: 2 * layer.outPerGroup)
        }

        func hasNegative(_ x: FloatBuffer, count: Int, _ ctx: EngineContext) -> Bool {
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

/// The forward stack of an alpha-beta layer, built once on first use (thread-safe: concurrent
/// forward passes may ask for it together).
final class LazyForwardStack: @unchecked Sendable {
    private let lock = NSLock()
    private let make: () -> (weights: FloatBuffer, bias: FloatBuffer?)
    private var built: (weights: FloatBuffer, bias: FloatBuffer?)?

    init(_ make: @escaping () -> (weights: FloatBuffer, bias: FloatBuffer?)) { self.make = make }

    var value: (weights: FloatBuffer, bias: FloatBuffer?) {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let v = make()
        built = v
        return v
    }
}
