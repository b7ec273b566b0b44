import LRPCore

/// A relevance rule of a mapping layer (convolution or linear), one row of the rule table in
/// docs/DESIGN.md §2. Like a zennit rule it knows which modified parameters it needs: `prepare`
/// builds them once per layer and Explainer, and returns them as an immutable prepared value.
protocol MappingRule: Sendable {
    /// Short description for summaries, e.g. "alpha-beta(2.0,1.0)".
    var name: String { get }
    /// The rule ready for one layer, with its modified parameters (w⁺/w⁻ stacks, w², bound terms).
    func prepare(_ layer: MappingLayer) throws -> any PreparedMappingRule
}

/// A mapping rule prepared for one layer. Immutable; shared by concurrent explanations.
protocol PreparedMappingRule: Sendable {
    var name: String { get }
    /// Whether `relevance` reads the layer's input activations (so the forward pass keeps them).
    var readsInput: Bool { get }
    /// Whether `relevance` reads the layer's output `z`.
    var readsOutput: Bool { get }
    /// The layer's forward pass, for rules whose relevance pass needs products of the input that
    /// also give the output (alpha-beta): computed once here and kept in the `ForwardPass`.
    /// `nil`: the plain convolution is used.
    func forward(_ layer: MappingLayer, input x: FloatBuffer, context: EngineContext) throws
        -> (output: FloatBuffer, saved: SavedProducts)?
    /// Input relevance `[N, input]` from the relevance `r` of the output.
    /// - Parameters:
    ///   - x: the layer's input activations `[N, input]`, when `readsInput`.
    ///   - z: the layer's output `[N, output]` (pre-activation, bias included), when `readsOutput`.
    ///   - saved: what `forward` kept, if the forward pass ran this rule's forward.
    func relevance(_ layer: MappingLayer, input x: FloatBuffer?, output z: FloatBuffer?, saved: SavedProducts?,
                   relevance r: Relevance, context: EngineContext) throws -> Relevance
}

extension PreparedMappingRule {
    var readsInput: Bool { true }
    var readsOutput: Bool { false }

    func forward(_ layer: MappingLayer, input x: FloatBuffer, context: EngineContext) throws
        -> (output: FloatBuffer, saved: SavedProducts)? { nil }
}

/// Rules without modified parameters are their own prepared value.
extension MappingRule where Self: PreparedMappingRule {
    func prepare(_ layer: MappingLayer) throws -> any PreparedMappingRule { self }
}

/// The activations a rule declared it reads (`readsInput`, `readsOutput`).
func required(_ value: FloatBuffer?, _ what: String, of layer: MappingLayer) throws -> FloatBuffer {
    guard let value else { throw LRPError("internal error: the rule of \(layer.name) reads its \(what) without declaring it") }
    return value
}

/// Products of a layer's input kept from the forward pass for the relevance pass (per batch).
final class SavedProducts: @unchecked Sendable {
    /// Stacked products of the input's positive part (or of the input when it has no negative values).
    let positive: FloatBuffer
    /// Stacked products of the input's negative part, nil when the input has no negative values.
    let negative: FloatBuffer?
    /// Channels per group of both buffers (per sample `[groups][groupChannels][spatial]`).
    let groupChannels: Int
    init(positive: FloatBuffer, negative: FloatBuffer?, groupChannels: Int) {
        self.positive = positive
        self.negative = negative
        self.groupChannels = groupChannels
    }

    /// The products of `samples` (views, no copy), `perSample` floats per sample in each buffer.
    func samples(_ samples: Range<Int>, perSample: Int) -> SavedProducts {
        SavedProducts(positive: FloatBuffer(samples: samples, of: positive, perSample: perSample),
                      negative: negative.map { FloatBuffer(samples: samples, of: $0, perSample: perSample) },
                      groupChannels: groupChannels)
    }
}

/// Element ranges of a per-sample flat range: the helpers the rules share.
extension EngineContext {
    /// Runs an elementwise kernel over `count` floats, split over the workers.
    func elementwise(_ count: Int, _ body: (_ offset: Int, _ count: Int) -> Void) {
        WorkSplit.elementwise(count, serial: serial) { r in body(r.lowerBound, r.count) }
    }
}
