import CKernels
import LRPCore

/// clamp(x, min, max), e.g. ReLU6. Relevance passes through.
struct ClipKind: ActivationKind {
    let min: Float
    let max: Float

    var summary: String { min == 0 && max == 6 ? "relu6" : "clip [\(min), \(max)]" }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        guard !(min > max) else { throw LRPError("\(io.label): clip minimum \(min) exceeds maximum \(max)") }
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput(), (lo, hi) = (min, max)
        step.context.elementwise(y.count) { o, n in lrp_clip(x.pointer + o, lo, hi, y.pointer + o, n) }
        return (y, nil)
    }
}
