import Foundation

extension GraphBuilder {
    /// Add/Sub/Mul/Div. Two runtime values of the same shape: a residual sum (Add only).
    /// A runtime value and a per-channel constant: a channel affine map, which the canonizer
    /// folds into a preceding conv/linear layer (MatMul + Add → linear with bias).
    func importArithmetic(_ ctx: NodeContext) throws {
        guard let n0 = ctx.input(0), let n1 = ctx.input(1) else { throw ctx.error("needs two inputs") }
        let s0 = try symbol(n0, in: ctx), s1 = try symbol(n1, in: ctx)
        switch (s0, s1) {
        case (.runtime(let a), .runtime(let b)):
            guard ctx.op == "Add" else {
                throw ctx.error("\(ctx.op) of two computed values is not supported (only Add, as a residual sum)")
            }
            guard shape(of: a) == shape(of: b) else {
                throw ctx.error("cannot add values of shapes \(ShapeMath.describe(shape(of: a))) and \(ShapeMath.describe(shape(of: b))) (broadcasting is not supported)")
            }
            try emit(ctx, .add, inputs: [a, b], shape: shape(of: a))
        case (.runtime(let v), .constant(let c)):
            try emitAffine(ctx, v, c, constantFirst: false)
        case (.constant(let c), .runtime(let v)):
            try emitAffine(ctx, v, c, constantFirst: true)
        case (.unavailable(let why), _), (_, .unavailable(let why)):
            throw ctx.error(why)
        default:
            throw ctx.error("internal: constant inputs should have been folded")
        }
    }

    private func emitAffine(_ ctx: NodeContext, _ v: ValueID, _ c: ConstTensor, constantFirst: Bool) throws {
        let s = shape(of: v)
        let k = try perChannel(ctx, c, valueShape: s)
        let channels = s[0]
        var scale = [Float](repeating: 1, count: channels), shift = [Float](repeating: 0, count: channels)
        switch (ctx.op, constantFirst) {
        case ("Add", _): shift = k
        case ("Sub", false): shift = k.map { -$0 }
        case ("Sub", true): scale = [Float](repeating: -1, count: channels); shift = k
        case ("Mul", _): scale = k
        case ("Div", false): scale = k.map { 1 / $0 }
        default: throw ctx.error("dividing a constant by a computed value is not supported")
        }
        guard scale.allSatisfy({ $0.isFinite }), shift.allSatisfy({ $0.isFinite }) else {
            throw ctx.error("constant operand is not finite (division by zero?)")
        }
        try emit(ctx, .channelAffine(ChannelAffine(scale: scale, shift: shift)), inputs: [v], shape: s)
    }

    /// A constant that is the same at every spatial position: one value per channel (or per
    /// feature of a vector). Returns one value per channel.
    private func perChannel(_ ctx: NodeContext, _ c: ConstTensor, valueShape s: [Int]) throws -> [Float] {
        let fullRank = s.count + 1
        guard c.shape.count <= fullRank else {
            throw ctx.error("constant of shape \(ShapeMath.describe(c.shape)) has more axes than the input")
        }
        let padded = [Int](repeating: 1, count: fullRank - c.shape.count) + c.shape
        // padded[0] is the batch axis, padded[1] the channel axis, the rest spatial.
        let channelAxisOK = padded[1] == 1 || padded[1] == s[0]
        guard padded[0] == 1, channelAxisOK, padded.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            throw ctx.error("constant operand of shape \(ShapeMath.describe(c.shape)) is not per-channel for a value of per-sample shape \(ShapeMath.describe(s)); only per-channel constants are supported")
        }
        // One scale and one shift per channel are materialised: a Reshape to [2^30, 1, 1] made a
        // scalar Add of a 1-KB file allocate 6 GB here (50 s).
        guard s[0] <= GraphBuilder.maxAffineChannels else {
            throw ctx.error("a per-channel constant over \(s[0]) channels (more than \(GraphBuilder.maxAffineChannels)) is not supported")
        }
        let f = c.floats
        return padded[1] == 1 ? [Float](repeating: f[0], count: s[0]) : f
    }

    /// Clip (ReLU6 and friends): bounds are attributes before opset 11, optional inputs after.
    func importClip(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        var lo = -Float.infinity, hi = Float.infinity
        if ctx.opset < 11 {
            lo = try ctx.attributes.float("min") ?? lo
            hi = try ctx.attributes.float("max") ?? hi
        } else {
            if let c = try constantInput(ctx, 1) {
                guard c.count == 1 else { throw ctx.error("min must be a scalar") }
                lo = Float(c.double(at: 0))
            }
            if let c = try constantInput(ctx, 2) {
                guard c.count == 1 else { throw ctx.error("max must be a scalar") }
                hi = Float(c.double(at: 0))
            }
        }
        guard !lo.isNaN, !hi.isNaN, lo <= hi else { throw ctx.error("invalid bounds [\(lo), \(hi)]") }
        try emit(ctx, .clip(min: lo, max: hi), inputs: [x], shape: shape(of: x))
    }

    /// BatchNormalization in inference mode → a channel affine map (folded into a preceding
    /// conv/linear by the canonizer when possible).
    func importBatchNorm(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let s = shape(of: x)
        guard s.count == 1 || s.count == 3 else {
            throw ctx.error("expects [N, C] or [N, C, H, W] input, got per-sample shape \(ShapeMath.describe(s))")
        }
        if try ctx.attributes.int("training_mode", default: 0) != 0 {
            throw ctx.error("training_mode=1 is not supported (export the model in eval mode)")
        }
        if try ctx.attributes.int("spatial", default: 1) != 1 {
            throw ctx.error("spatial=0 is not supported")
        }
        let eps = Double(try ctx.attributes.float("epsilon", default: 1e-5))
        let c = s[0]
        let names = ["scale", "bias", "mean", "variance"]
        var params: [[Float]] = []
        for (k, what) in names.enumerated() {
            let t = try requiredConstant(ctx, k + 1, what)
            guard t.count == c else { throw ctx.error("\(what) has \(t.count) values; expected \(c)") }
            params.append(t.floats)
        }
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for i in 0..<c {
            let variance = Double(params[3][i])
            guard variance + eps > 0 else { throw ctx.error("variance + epsilon is not positive for channel \(i)") }
            let k = Double(params[0][i]) / (variance + eps).squareRoot()
            scale[i] = Float(k)
            shift[i] = Float(Double(params[1][i]) - Double(params[2][i]) * k)
        }
        try emit(ctx, .channelAffine(ChannelAffine(scale: scale, shift: shift)), inputs: [x], shape: s)
    }

    /// LRN across channels.
    func importLRN(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let s = try featureMapShape(ctx, x)
        guard let size = try ctx.attributes.int("size"), size >= 1 else { throw ctx.error("missing or invalid attribute 'size'") }
        let a = ctx.attributes
        try emit(ctx, .lrn(size: size, alpha: a.float("alpha", default: 1e-4), beta: a.float("beta", default: 0.75),
                           bias: a.float("bias", default: 1)), inputs: [x], shape: s)
    }

    /// Softmax over the class scores. The canonizer removes it when it is the last layer.
    func importSoftmax(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let s = shape(of: x)
        let axis = try ctx.attributes.int("axis", default: ctx.opset >= 13 ? -1 : 1)
        guard s.count == 1, ShapeMath.axis(axis, rank: 2) == 1 else {
            throw ctx.error("only a softmax over the class axis of [N, K] scores is supported")
        }
        try emit(ctx, .softmax, inputs: [x], shape: s)
    }

    /// Dropout is the identity at inference; its mask output cannot be used.
    func importDropout(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        if ctx.opset >= 12, let mode = try constantInput(ctx, 2), mode.count == 1, mode.double(at: 0) != 0 {
            throw ctx.error("training_mode=true is not supported")
        }
        try emit(ctx, .identity, inputs: [x], shape: shape(of: x))
    }
}
