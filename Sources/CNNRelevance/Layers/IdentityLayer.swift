import LRPCore

/// Identity and inference-time Dropout: the output is the input's buffer.
struct IdentityKind: ActivationKind {
    var summary: String { "identity" }
    var isAlias: Bool { true }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) { (step.x, nil) }
}
