/// A relevance rule of a mapping layer (convolution or linear), one row of the table in
/// DESIGN §2. Like a zennit rule it knows which modified parameters it needs (`prepare`, run
/// once per Explainer) and how to turn the relevance of the layer's output into the relevance
/// of its input.
protocol MappingRule: Sendable {
    /// Short description for summaries, e.g. "alpha-beta(2,1)".
    var name: String { get }
    /// Whether `relevance` reads the layer's input activations (so the forward pass keeps them).
    var readsInput: Bool { get }
    /// Whether `relevance` reads the layer's output `z`.
    var readsOutput: Bool { get }
    /// Builds the modified parameters this rule needs on `layer` (idempotent).
    func prepare(_ layer: MappingLayer) throws
    /// The layer's forward pass, for rules whose relevance pass needs products of the input that
    /// also give the output (alpha-beta): computed once here and kept in the `ForwardPass`.
    /// `nil`: the plain convolution is used.
    func forward(_ layer: MappingLayer, input x: FloatBuffer, context: EngineContext) throws
        -> (output: FloatBuffer, saved: SavedProducts)?
    /// Input relevance `[N, input]` from the relevance `r` of the output.
    /// - Parameters:
    ///   - x: the layer's input activations `[N, input]` from the forward pass.
    ///   - z: the layer's output `[N, output]` (pre-activation, bias included).
    ///   - saved: what `forward` kept, if the forward pass ran this rule's forward.
    func relevance(_ layer: MappingLayer, input x: FloatBuffer, output z: FloatBuffer, saved: SavedProducts?,
                   relevance r: Relevance, context: EngineContext) throws -> Relevance
}

extension MappingRule {
    var readsInput: Bool { true }
    var readsOutput: Bool { false }

    func forward(_ layer: MappingLayer, input x: FloatBuffer, context: EngineContext) throws
        -> (output: FloatBuffer, saved: SavedProducts)? { nil }
}

/// Products of a layer's input kept from the forward pass for the relevance pass (per batch).
final class SavedProducts: @unchecked Sendable {
    /// Stacked products of the input's positive part (or of the input when it has no negative values).
    let positive: FloatBuffer
    /// Stacked products of the input's negative part, nil when the input has no negative values.
    let negative: FloatBuffer?
    init(positive: FloatBuffer, negative: FloatBuffer?) {
        self.positive = positive
        self.negative = negative
    }
}

/// Element ranges of a per-sample flat range: the helpers the rules share.
extension EngineContext {
    /// Runs an elementwise kernel over `count` floats, split over the workers.
    func elementwise(_ count: Int, _ body: (_ offset: Int, _ count: Int) -> Void) {
        WorkSplit.elementwise(count, serial: serial) { r in body(r.lowerBound, r.count) }
    }
}
