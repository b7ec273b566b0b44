import CKernels
import LRPCore

/// max(x, 0). Relevance passes through (zennit's `Pass` on activations).
struct ReLUKind: ActivationKind {
    var summary: String { "relu" }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput()
        step.context.elementwise(y.count) { o, n in lrp_relu(x.pointer + o, y.pointer + o, n) }
        return (y, nil)
    }
}
