import CKernels
import LRPCore

/// The relevance step of alpha-beta and z-plus, a chunk of samples at a time.
///
/// Memory: the step's temporaries are the products `[w⁺x; w⁻x]` (and those of x⁻ for an input
/// with negative values) and the normalised `[a; b]`, each twice the layer's output for
/// alpha-beta. Over a whole batch of 8 on MobileNetV2's 112×112 layers they were the peak of
/// `lrp-cnn explain`, so the batch goes through in chunks of samples whose temporaries fit
/// `EngineContext.chunkFloats` (`SampleChunks`). Every sample sees the same arithmetic as in
/// one pass over the batch.
extension AlphaBetaRule.Prepared {
    func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                   relevance r: Relevance, context ctx: EngineContext) throws -> Relevance {
        let x = try required(x, "input", of: layer)
        let R = r.materialized(layer.output, batch: ctx.batch)
        let inCount = layer.inputCount, outCount = layer.output.count
        // decided for the whole batch, as the forward pass that keeps the products does
        let negative = saved.map { $0.negative != nil } ?? hasNegative(x, count: ctx.batch * inCount, ctx)
        let halves = plusOnly ? 1 : 2
        // per sample: [a; b] and dNeg, and the products (with x⁺ and x⁻) unless they were kept
        var perSample = halves * outCount + (negative ? inCount : 0)
        if saved == nil { perSample += (negative ? 2 : 1) * halves * outCount + (negative ? 2 * inCount : 0) }
        let dx = FloatBuffer(count: ctx.batch * inCount)
        for samples in SampleChunks(batch: ctx.batch, floatsPerSample: perSample, budget: ctx.chunkFloats).ranges {
            let sub = ctx.chunk(samples.count)
            let xs = FloatBuffer(samples: samples, of: x, perSample: inCount)
            let products: SavedProducts
            if let saved {
                products = saved.samples(samples, perSample: saved.groupChannels * layer.groups * layer.output.spatial)
            } else {
                products = try formProducts(layer, xs, negative: negative, sub)
            }
            try relevanceStep(layer, x: xs, R: FloatBuffer(samples: samples, of: R, perSample: outCount),
                              products: products, dx: FloatBuffer(samples: samples, of: dx, perSample: inCount), sub)
        }
        return .full(dx)
    }

    /// The products the relevance step reads, without the layer output: `[w⁺x; w⁻x]` per group
    /// (z-plus: `w⁺x`) for a non-negative input, else `negativeProducts` — for a forward pass
    /// that did not keep them (`ForwardStep.keepProducts`).
    private func formProducts(_ layer: MappingLayer, _ x: FloatBuffer, negative: Bool, _ ctx: EngineContext) throws
        -> SavedProducts {
        if negative { return try negativeProducts(layer, x, ctx) }
        let parts = plusOnly ? 1 : 2
        let p = FloatBuffer(count: ctx.batch * parts * layer.output.count)
        try layer.forwardProducts(inputs: [x], weights: [plusOnly ? weightPos! : stackedPosNeg!], outputs: [p],
                                  geometry: layer.stackedGeometry(parts: parts), context: ctx)
        return SavedProducts(positive: p, negative: nil, groupChannels: parts * layer.outPerGroup)
    }

    /// `dx = x ⊙ (w⁺ᵀa + w⁻ᵀb)` (and the x⁻ part) for the samples of `ctx`.
    private func relevanceStep(_ layer: MappingLayer, x: FloatBuffer, R: FloatBuffer, products: SavedProducts,
                               dx: FloatBuffer, _ ctx: EngineContext) throws {
        let total = ctx.batch * layer.inputCount
        let outCount = layer.output.count
        // [a; b] (z-plus: a) in a buffer of its own: normalising the products in place would keep
        // the compiler's alias checks from vectorising the kernel
        let g = FloatBuffer(count: ctx.batch * (plusOnly ? 1 : 2) * outCount)
        let productCount = products.groupChannels * layer.groups * layer.output.spatial
        let pn = products.positive, pnNeg = products.negative
        let groups = Int32(layer.groups), perGroup = Int32(layer.outPerGroup), spatial = Int32(layer.output.spatial)
        let width = Int32(products.groupChannels)
        let (a, b, s) = (alpha, beta, stabilizer)
        let bp = biasPos?.pointer, bn = biasNeg?.pointer
        let status = StatusCollector()
        if plusOnly {
            // a = αR/P, then x⁺ ⊙ w⁺ᵀa (+ x⁻ ⊙ w⁻ᵀa)
            WorkSplit.run(batch: ctx.batch, extent: layer.output.spatial, serial: ctx.serial) { n, sp, _ in
                status.check(lrp_zplus_normalize(R.pointer + n * outCount, pn.pointer + n * productCount,
                                                 pnNeg.map { $0.pointer + n * productCount }, width, bp, groups,
                                                 perGroup, spatial, Int32(sp.lowerBound), Int32(sp.upperBound), a, s,
                                                 g.pointer + n * outCount))
            }
            try status.throwIfFailed("z-plus rule of \(layer.name)")
            if pnNeg != nil {
                let dNeg = FloatBuffer(count: total)
                try layer.backwardProducts(weights: [weightPos!, weightNeg!], dys: [g, g], dxs: [dx, dNeg],
                                           geometry: layer.geometry, context: ctx) { range in
                    let o = range.lowerBound
                    lrp_signed_mul(x.pointer + o, dx.pointer + o, dNeg.pointer + o, dx.pointer + o, range.count)
                }
            } else {
                try layer.backwardProducts(weights: [weightPos!], dys: [g], dxs: [dx], geometry: layer.geometry,
                                           context: ctx) { range in
                    let o = range.lowerBound
                    lrp_mul(x.pointer + o, dx.pointer + o, dx.pointer + o, range.count)
                }
            }
            return
        }
        let (wpm, wnp) = (stackedPosNeg!, stackedNegPos!)
        let sg = layer.stackedGeometry(parts: 2)
        let stackedCount = 2 * outCount
        // g = [a; b] = [α R/P; −β R/N] per group
        WorkSplit.run(batch: ctx.batch, extent: layer.output.spatial, serial: ctx.serial) { n, sp, _ in
            status.check(lrp_alphabeta_normalize_strided(R.pointer + n * outCount, pn.pointer + n * productCount,
                                                         pnNeg.map { $0.pointer + n * productCount }, width, bp, bn,
                                                         groups, perGroup, spatial, Int32(sp.lowerBound),
                                                         Int32(sp.upperBound), a, b, s, g.pointer + n * stackedCount))
        }
        try status.throwIfFailed("alpha-beta rule of \(layer.name)")
        if pnNeg != nil {
            let dNeg = FloatBuffer(count: total)
            try layer.backwardProducts(weights: [wpm, wnp], dys: [g, g], dxs: [dx, dNeg], geometry: sg,
                                       context: ctx) { range in
                let o = range.lowerBound
                lrp_signed_mul(x.pointer + o, dx.pointer + o, dNeg.pointer + o, dx.pointer + o, range.count)
            }
        } else {
            try layer.backwardProducts(weights: [wpm], dys: [g], dxs: [dx], geometry: sg, context: ctx) { range in
                let o = range.lowerBound
                lrp_mul(x.pointer + o, dx.pointer + o, dx.pointer + o, range.count)
            }
        }
    }
}
