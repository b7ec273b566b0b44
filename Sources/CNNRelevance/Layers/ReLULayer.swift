import CKernels
import LRPCore

/// max(x, 0). Relevance passes through (zennit's `Pass` on activations).
struct ReLUKind: LayerKind, PassThroughLayer {
    var category: LayerCategory? { .activation }
    var summary: String { "relu" }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { inputs[0] }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput()
        step.context.elementwise(y.count) { o, n in lrp_relu(x.pointer + o, y.pointer + o, n) }
        return (y, nil)
    }
}
