import LRPCore

/// Identity and inference-time Dropout: the output is the input's buffer.
struct IdentityKind: LayerKind, PassThroughLayer {
    var category: LayerCategory? { .activation }
    var summary: String { "identity" }
    var isAlias: Bool { true }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { inputs[0] }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) { (step.x, nil) }
}
