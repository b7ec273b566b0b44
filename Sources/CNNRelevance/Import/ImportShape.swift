extension GraphBuilder {
    /// Concat of computed values along the channel axis (axis 1 of NCHW / of [N, F]).
    func importConcat(_ ctx: NodeContext) throws {
        guard let rawAxis = try ctx.attributes.int("axis") else { throw ctx.error("missing attribute 'axis'") }
        var inputs: [ValueID] = []
        for i in 0..<ctx.proto.input.count where ctx.input(i) != nil {
            inputs.append(try runtimeInput(ctx, i))
        }
        guard let first = inputs.first else { throw ctx.error("has no inputs") }
        let s0 = shape(of: first)
        guard ShapeMath.axis(rawAxis, rank: s0.count + 1) == 1 else {
            throw ctx.error("only concatenation along the channel axis (1) is supported, got axis \(rawAxis)")
        }
        var channels = 0
        for v in inputs {
            let s = shape(of: v)
            guard s.count == s0.count, s.dropFirst() == s0.dropFirst() else {
                throw ctx.error("inputs of per-sample shapes \(inputs.map { ShapeMath.describe(shape(of: $0)) }.joined(separator: ", ")) cannot be concatenated along channels")
            }
            channels += s[0]
        }
        if inputs.count == 1 {
            try emit(ctx, .identity, inputs: inputs, shape: s0)
            return
        }
        try emit(ctx, .concat, inputs: inputs, shape: [channels] + s0.dropFirst())
    }

    /// Flatten with axis 1: `[N, C, H, W]` → `[N, C·H·W]`.
    func importFlatten(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let s = shape(of: x)
        let axis = try ctx.attributes.int("axis", default: 1)
        guard ShapeMath.axis(axis, rank: s.count + 1) == 1 else {
            throw ctx.error("only Flatten with axis 1 (keeping the batch axis) is supported, got axis \(axis)")
        }
        try emit(ctx, .reshape(shape: [s.reduce(1, *)]), inputs: [x], shape: [s.reduce(1, *)])
    }

    /// Reshape with a target known at import time (an initializer or a folded shape sub-graph).
    /// Its first entry must stand for the batch: the folded batch size, 0 (copy), -1 with the
    /// rest fixed, or the model's declared static batch size.
    func importReshape(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let s = shape(of: x)
        let target = try requiredConstant(ctx, 1, "target shape")
        guard target.isInteger, target.shape.count == 1, target.count >= 1 else {
            throw ctx.error("target shape must be a 1-D integer tensor")
        }
        guard target.unknownElements.isEmpty else {
            throw ctx.error("target shape is computed from the batch size in a way that cannot be resolved")
        }
        let allowZero = try ctx.attributes.int("allowzero", default: 0) == 1
        let t = target.intValues
        let batchFirst = target.batchElements.contains(0) || (t[0] == 0 && !allowZero) || (declaredBatch.map { t[0] == $0 } ?? false)
        guard target.batchElements.subtracting([0]).isEmpty else {
            throw ctx.error("target shape \(t) moves the batch size away from the first axis")
        }
        var perSample = Array(t.dropFirst())
        if !batchFirst {
            guard t[0] == -1 else {
                throw ctx.error("target shape \(t) does not keep the batch axis first (use -1 or 0 there, or x.size(0))")
            }
            guard !perSample.contains(-1) else {
                throw ctx.error("target shape \(t) leaves more than the batch size to infer")
            }
        }
        // A 0 entry copies the input dimension at the same full-tensor index (per-sample index - 1).
        if !allowZero {
            for i in perSample.indices where perSample[i] == 0 {
                guard i < s.count else { throw ctx.error("target \(t) copies a dimension the input does not have") }
                perSample[i] = s[i]
            }
        }
        let resolved = try ConstantFolding.reshapeTarget(perSample, inputShape: s, allowZero: true, ctx)
        try emit(ctx, .reshape(shape: resolved), inputs: [x], shape: resolved)
    }

    /// Squeeze/Unsqueeze of a computed value: a reshape that must leave the batch axis alone.
    func importSqueeze(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let s = shape(of: x)
        let axes: [Int]? = ctx.opset >= 13 ? try constantInput(ctx, 1)?.intValues : try ctx.attributes.ints("axes")
        var out: [Int]
        if ctx.op == "Squeeze" {
            if let axes {
                var drop = Set<Int>()
                for a in axes {
                    guard let n = ShapeMath.axis(a, rank: s.count + 1), n >= 1, s[n - 1] == 1 else {
                        throw ctx.error("cannot squeeze axis \(a) of a value with per-sample shape \(ShapeMath.describe(s))")
                    }
                    drop.insert(n - 1)
                }
                out = s.indices.filter { !drop.contains($0) }.map { s[$0] }
            } else {
                out = s.filter { $0 != 1 }
            }
        } else {
            guard let axes, !axes.isEmpty else { throw ctx.error("missing axes") }
            let outRank = s.count + 1 + axes.count
            var inserted = Set<Int>()
            for a in axes {
                guard let n = ShapeMath.axis(a, rank: outRank), n >= 1, inserted.insert(n).inserted else {
                    throw ctx.error("invalid axes \(axes) (the batch axis must stay first)")
                }
            }
            out = []
            var src = s.makeIterator()
            for i in 1..<outRank { out.append(inserted.contains(i) ? 1 : (src.next() ?? 1)) }
        }
        try emit(ctx, .reshape(shape: out), inputs: [x], shape: out)
    }

    /// Pad, constant mode, spatial axes only; pads from the attribute (opset < 11) or input 2.
    func importPad(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let s = try featureMapShape(ctx, x)
        let mode = try ctx.attributes.string("mode") ?? "constant"
        guard mode == "constant" else { throw ctx.error("only constant padding is supported, got mode '\(mode)'") }
        var pads: [Int]
        var value: Float = 0
        if ctx.opset < 11 {
            guard let p = try ctx.attributes.ints("pads") else { throw ctx.error("missing attribute 'pads'") }
            pads = p
            value = try ctx.attributes.float("value", default: 0)
        } else {
            pads = try requiredConstant(ctx, 1, "pads").intValues
            if let v = try constantInput(ctx, 2) {
                guard v.count == 1 else { throw ctx.error("constant_value must be a scalar") }
                value = Float(v.double(at: 0))
            }
            if let axesTensor = try constantInput(ctx, 3) {
                // Opset 18: pads apply to the listed axes only.
                let axes = axesTensor.intValues
                guard pads.count == 2 * axes.count else { throw ctx.error("pads and axes disagree in length") }
                var full = [Int](repeating: 0, count: 8)
                for (k, a) in axes.enumerated() {
                    guard let n = ShapeMath.axis(a, rank: 4) else { throw ctx.error("axis \(a) out of range") }
                    full[n] = pads[k]; full[n + 4] = pads[k + axes.count]
                }
                pads = full
            }
        }
        guard pads.count == 8 else { throw ctx.error("expects 8 pad values for an NCHW input, got \(pads.count)") }
        guard pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else {
            throw ctx.error("only spatial padding is supported, got pads \(pads)")
        }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw ctx.error("negative pads (cropping) are not supported: \(pads)") }
        // Bounded before adding: pads near Int.max must be an error, not an overflow trap.
        let limit = 1 << 20
        guard pads.allSatisfy({ $0 <= limit }), s[1] + pads[2] + pads[6] <= limit, s[2] + pads[3] + pads[7] <= limit else {
            throw ctx.error("pads \(pads) make the padded map larger than \(limit) pixels per side")
        }
        let p = Padding2D(top: pads[2], left: pads[3], bottom: pads[6], right: pads[7], value: value)
        try emit(ctx, .pad(p), inputs: [x], shape: [s[0], s[1] + p.top + p.bottom, s[2] + p.left + p.right])
    }
}
