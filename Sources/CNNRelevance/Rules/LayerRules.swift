import CKernels

/// How relevance passes the layers that are not convolutions or linear layers (DESIGN §2).
/// Outside the cut-off region: ReLU/Clip/LRN/Identity/Reshape pass through, max pooling
/// winner-take-all (or proportionally as sum pooling), average and global average pooling
/// proportionally to the inputs (zennit's `Norm`), residual sums proportionally to the summands,
/// concatenation by channel, an unfolded batch norm (channel-affine map) under epsilon, padding
/// cropped. Inside the cut-off region: pooling uniform over each window's real inputs, residual
/// sums in equal shares, channel-affine maps pass through; the rest as outside.
///
/// Functions take and return `Relevance` of the whole batch; `Relevance.uniform` maps are kept
/// where the treatment allows it (flat pooling, equal shares, concatenation, cropping).
enum LayerRules {
    static let stabilizer = RulePlan.stabilizer

    /// Reshape keeps the data order; a channel-uniform map survives if the per-channel block
    /// keeps its size (or was a single value).
    static func reshape(_ r: Relevance, from: ValueLayout, to: ValueLayout, batch: Int) -> Relevance {
        if case .channelSum = r {
            precondition(from.spatial == to.spatial, "internal error: channel sum through a reshape")
            return r
        }
        guard case .uniform(let m) = r else { return r }
        if from.spatial == to.spatial { return r }
        if from.spatial == 1 {
            let out = FloatBuffer(count: batch * to.spatial)
            for n in 0..<batch { (out.pointer + n * to.spatial).update(repeating: m[n], count: to.spatial) }
            return .uniform(out)
        }
        return .full(r.materialized(from, batch: batch))
    }

    /// Runs a pooling kernel per sample and channel range.
    private static func perChannel(_ g: LrpPoolGeometry, batch: Int, inCount: Int, outCount: Int, serial: Bool,
                                   _ body: (UnsafeMutablePointer<LrpPoolGeometry>, Int, Int, Int32, Int32) -> Void) {
        WorkSplit.run(batch: batch, extent: Int(g.channels), serial: serial) { n, cs, _ in
            var geo = g
            body(&geo, n * inCount, n * outCount, Int32(cs.lowerBound), Int32(cs.upperBound))
        }
    }

    static func maxPoolWinnerTakeAll(_ g: LrpPoolGeometry, x: FloatBuffer, r: Relevance, input: ValueLayout,
                                     output: ValueLayout, ctx: EngineContext) -> Relevance {
        let R = r.materialized(output, batch: ctx.batch)
        let out = FloatBuffer(count: ctx.batch * input.count)
        perChannel(g, batch: ctx.batch, inCount: input.count, outCount: output.count, serial: ctx.serial) { geo, i, o, c0, c1 in
            _ = lrp_maxpool_backward_wta(geo, x.pointer + i, R.pointer + o, out.pointer + i, c0, c1)
        }
        return .full(out)
    }

    /// zennit's `Norm` on average pooling (`sumPooling` false) or max pooling explained as sum pooling.
    static func poolProportional(_ g: LrpPoolGeometry, x: FloatBuffer, r: Relevance, sumPooling: Bool,
                                 input: ValueLayout, output: ValueLayout, ctx: EngineContext) -> Relevance {
        let R = r.materialized(output, batch: ctx.batch)
        let out = FloatBuffer(count: ctx.batch * input.count)
        let s = stabilizer
        perChannel(g, batch: ctx.batch, inCount: input.count, outCount: output.count, serial: ctx.serial) { geo, i, o, c0, c1 in
            _ = lrp_pool_backward_proportional(geo, x.pointer + i, R.pointer + o, out.pointer + i,
                                               sumPooling ? 1 : 0, s, c0, c1)
        }
        return .full(out)
    }

    /// Pooling in the cut-off region: uniform over each window's real inputs.
    static func poolFlat(_ g: LrpPoolGeometry, r: Relevance, input: ValueLayout, output: ValueLayout,
                         ctx: EngineContext) -> Relevance {
        switch r {
        case .full(let R):
            let out = FloatBuffer(count: ctx.batch * input.count)
            perChannel(g, batch: ctx.batch, inCount: input.count, outCount: output.count, serial: ctx.serial) { geo, i, o, c0, c1 in
                _ = lrp_pool_backward_flat(geo, R.pointer + o, out.pointer + i, c0, c1)
            }
            return .full(out)
        case .uniform(let m), .channelSum(let m):
            var one = g
            one.channels = 1
            let out = FloatBuffer(count: ctx.batch * input.spatial)
            for n in 0..<ctx.batch {
                _ = lrp_pool_backward_flat(&one, m.pointer + n * output.spatial, out.pointer + n * input.spatial, 0, 1)
            }
            return r.withMap(out)
        }
    }

    /// Residual sum outside the cut-off region: `R_a = a/(a+b)·R`, `R_b = b/(a+b)·R`, stabilised
    /// (zennit's `Norm` on `Sum`).
    static func sumProportional(a: FloatBuffer, b: FloatBuffer, r: Relevance, layout: ValueLayout,
                                ctx: EngineContext) -> (Relevance, Relevance) {
        let R = r.materialized(layout, batch: ctx.batch)
        let ra = FloatBuffer(count: R.count), rb = FloatBuffer(count: R.count)
        let s = stabilizer
        ctx.elementwise(R.count) { o, n in
            lrp_sum_split(a.pointer + o, b.pointer + o, R.pointer + o, s, ra.pointer + o, rb.pointer + o, n)
        }
        return (.full(ra), .full(rb))
    }

    /// Residual sum in the cut-off region: equal shares.
    static func sumEqualShares(_ r: Relevance) -> (Relevance, Relevance) {
        let half = r.scaled(0.5)
        return (half, half)
    }

    /// Concatenation along channels: each input gets its channels' relevance.
    static func concat(_ r: Relevance, inputs: [ValueLayout], output: ValueLayout, batch: Int) -> [Relevance] {
        if case .uniform = r { return inputs.map { _ in r } }
        if case .channelSum = r { preconditionFailure("internal error: channel sum through a concatenation") }
        let R = r.materialized(output, batch: batch)
        var parts: [Relevance] = []
        var offset = 0
        for l in inputs {
            let part = FloatBuffer(count: batch * l.count)
            for n in 0..<batch {
                (part.pointer + n * l.count).update(from: R.pointer + n * output.count + offset, count: l.count)
            }
            offset += l.count
            parts.append(.full(part))
        }
        return parts
    }

    /// Unfolded batch norm `z = s·x + t` under epsilon: `R_x = x·s·R / (z + ε·sign z)`.
    static func channelAffineEpsilon(scale: FloatBuffer, x: FloatBuffer, z: FloatBuffer, r: Relevance,
                                     epsilon: Float, layout: ValueLayout, ctx: EngineContext) -> Relevance {
        let R = r.materialized(layout, batch: ctx.batch)
        let out = FloatBuffer(count: R.count)
        let s = layout.spatial
        WorkSplit.run(batch: ctx.batch, extent: layout.channels, serial: ctx.serial) { n, cs, _ in
            let o = n * layout.count + cs.lowerBound * s
            lrp_channel_affine_epsilon(x.pointer + o, scale.pointer + cs.lowerBound, z.pointer + o, R.pointer + o,
                                       epsilon, Int32(cs.count), s, out.pointer + o)
        }
        return .full(out)
    }

    /// Padding: the relevance of padded positions is dropped.
    static func padCrop(_ p: Padding2D, r: Relevance, input: ValueLayout, output: ValueLayout, batch: Int) -> Relevance {
        let (top, left, bottom, right) = (Int32(p.top), Int32(p.left), Int32(p.bottom), Int32(p.right))
        let (h, w) = (Int32(input.height), Int32(input.width))
        switch r {
        case .full(let R):
            let out = FloatBuffer(count: batch * input.count)
            for n in 0..<batch {
                lrp_crop2d(R.pointer + n * output.count, Int32(input.channels), h, w, top, left, bottom, right,
                           out.pointer + n * input.count)
            }
            return .full(out)
        case .uniform(let m), .channelSum(let m):
            let out = FloatBuffer(count: batch * input.spatial)
            for n in 0..<batch {
                lrp_crop2d(m.pointer + n * output.spatial, 1, h, w, top, left, bottom, right, out.pointer + n * input.spatial)
            }
            return r.withMap(out)
        }
    }
}
