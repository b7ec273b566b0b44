import LRPCore

/// Leaky ReLU: x for x ≥ 0, alpha·x below (ONNX `LeakyRelu`, default alpha 0.01). Relevance
/// passes through, as zennit's `Pass` rule does for every activation.
struct LeakyReLUKind: ActivationKind {
    let alpha: Float

    var summary: String { "leaky relu \(alpha)" }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        guard alpha.isFinite else { throw LRPError("\(io.label): alpha must be finite (got \(alpha))") }
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput(), a = alpha
        step.context.elementwise(y.count) { o, n in
            for i in o..<(o + n) { y.pointer[i] = x.pointer[i] >= 0 ? x.pointer[i] : a * x.pointer[i] }
        }
        return (y, nil)
    }
}
