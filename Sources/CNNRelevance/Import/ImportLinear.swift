extension GraphBuilder {
    /// Gemm `Y = alpha · A' B' + beta · C` with A the runtime `[N, K]` input and B, C constants;
    /// alpha and beta are folded into the weight and bias.
    func importGemm(_ ctx: NodeContext) throws {
        let a = ctx.attributes
        guard try a.int("transA", default: 0) == 0 else {
            throw ctx.error("transA=1 would mix the batch into the features; not supported")
        }
        let transB = try a.int("transB", default: 0) != 0
        let alpha = try a.float("alpha", default: 1)
        let beta = try a.float("beta", default: 1)
        let x = try runtimeInput(ctx, 0)
        let inShape = shape(of: x)
        guard inShape.count == 1 else {
            throw ctx.error("expects a [N, K] input, got per-sample shape \(ShapeMath.describe(inShape)) (missing Flatten?)")
        }
        let b = try requiredConstant(ctx, 1, "B")
        guard b.shape.count == 2 else { throw ctx.error("B must be a matrix, got \(ShapeMath.describe(b.shape))") }
        let (outF, inF) = transB ? (b.shape[0], b.shape[1]) : (b.shape[1], b.shape[0])
        guard inF == inShape[0], outF >= 1 else {
            throw ctx.error("B \(ShapeMath.describe(b.shape)) (transB=\(transB ? 1 : 0)) does not fit \(inShape[0]) input features")
        }
        var weight = transB ? b.floats : transposed(b.floats, rows: inF, cols: outF)
        if alpha != 1 { weight = weight.map { $0 * alpha } }
        var bias: [Float]?
        if let c = try constantInput(ctx, 2) {
            let values = try broadcastVector(c, length: outF, ctx, what: "C")
            bias = beta == 1 ? values : values.map { $0 * beta }
        }
        try emit(ctx, .linear(Linear(weight: weight, bias: bias, inFeatures: inF, outFeatures: outF)),
                 inputs: [x], shape: [outF])
    }

    /// MatMul of the runtime `[N, K]` input with a constant `[K, O]`: a linear layer without
    /// bias (a following Add of a constant is folded in by the canonizer).
    func importMatMul(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let inShape = shape(of: x)
        guard inShape.count == 1 else {
            throw ctx.error("only [N, K] × [K, O] is supported; the input has per-sample shape \(ShapeMath.describe(inShape))")
        }
        let b = try requiredConstant(ctx, 1, "the weight matrix")
        guard b.shape.count == 2, b.shape[0] == inShape[0], b.shape[1] >= 1 else {
            throw ctx.error("weight \(ShapeMath.describe(b.shape)) does not fit \(inShape[0]) input features")
        }
        let weight = transposed(b.floats, rows: b.shape[0], cols: b.shape[1])
        try emit(ctx, .linear(Linear(weight: weight, bias: nil, inFeatures: b.shape[0], outFeatures: b.shape[1])),
                 inputs: [x], shape: [b.shape[1]])
    }

    /// Row-major `rows × cols` → `cols × rows`.
    func transposed(_ m: [Float], rows: Int, cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = m[r * cols + c] } }
        return out
    }

    /// A constant that broadcasts to a vector of `length` along its last axis (shapes `[]`,
    /// `[1]`, `[length]`, `[1, length]`, ...).
    func broadcastVector(_ c: ConstTensor, length: Int, _ ctx: NodeContext, what: String) throws -> [Float] {
        let last = c.shape.last ?? 1
        guard c.shape.dropLast().allSatisfy({ $0 == 1 }), last == 1 || last == length else {
            throw ctx.error("\(what) of shape \(ShapeMath.describe(c.shape)) does not broadcast to [\(length)]")
        }
        let f = c.floats
        return last == 1 ? [Float](repeating: f[0], count: length) : f
    }
}
