import LRPCore

/// Everything the toolkit knows about one kind of layer, in one place (docs/DESIGN.md §6).
///
/// `LayerOp` (Graph.swift) is the data model; `LayerOp.kind` gives each case its `LayerKind`.
/// The graph-level questions (description, receptive field, channel-wise-ness) are answered
/// here; `lower` checks a node against its shapes and returns the kernel-ready `EngineLayer`
/// that the forward runner and the relevance walk use. Adding an ONNX op means: a `LayerOp`
/// case with its line in `LayerOp.kind`, one file in `Layers/` with the kind, and the
/// importer's dispatch (`GraphBuilder.importNode`).
protocol LayerKind: Sendable {
    /// Compact description for `lrp-cnn layers` and messages, e.g. "conv 3x3 s2 32->64".
    var summary: String { get }
    /// Whether it is a convolution or linear layer: the layers `--cutoff K` counts.
    var isMapping: Bool { get }
    /// What composites and rule maps call it (nil: structural, no rule of its own).
    var category: LayerCategory? { get }
    /// Receptive field of the output given the inputs' fields. Return `io.global` once the
    /// output no longer has a spatial layout.
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField
    /// Whether output channel c depends only on input channel c, with the channel axis kept
    /// (output restriction may then move through the layer).
    func isChannelwise(_ io: NodeShapes) -> Bool
    /// Checks the node against its shapes and builds what the kernels need. Errors name the
    /// layer (`io.label`).
    func lower(_ io: NodeShapes) throws -> any EngineLayer
}

extension LayerKind {
    var isMapping: Bool { false }
    var category: LayerCategory? { nil }
    func isChannelwise(_ io: NodeShapes) -> Bool { false }
}

/// A node's place in the graph as lowering and the graph-level questions see it.
struct NodeShapes {
    /// Position of the node in `Graph.nodes`.
    let index: Int
    let name: String
    /// "layer NAME (OP)", the prefix of every error about this node.
    let label: String
    let inputs: [[Int]]
    let output: [Int]
    /// The receptive field of a value without spatial layout (the whole input).
    let global: ReceptiveField

    var input: [Int] { inputs.first ?? [] }

    /// Throws unless the node has exactly `n` inputs.
    func expectInputs(_ n: Int) throws {
        guard inputs.count == n else { throw LRPError("\(label): expected \(n) input(s), got \(inputs.count)") }
    }

    /// Throws unless the node has one input with as many elements as its output.
    func expectSameCount() throws {
        try expectInputs(1)
        guard inputs[0].reduce(1, *) == output.reduce(1, *) else {
            throw LRPError("\(label): output shape \(output) does not match input shape \(inputs[0])")
        }
    }
}

/// Throws unless every parameter value is finite: a NaN or infinite weight would give
/// meaningless maps without any error.
func requireFinite(_ values: [Float], _ what: String, _ io: NodeShapes) throws {
    if let i = values.firstIndex(where: { !$0.isFinite }) {
        throw LRPError("\(io.label): \(what) \(i) is \(values[i]) (parameters must be finite)")
    }
}

/// A checked, kernel-ready layer: its forward computation and its two relevance treatments.
/// Inputs and outputs are whole batches in `[N, channels, spatial]` order.
protocol EngineLayer: Sendable {
    /// The rule this layer gets from the composite (only mapping layers, max pooling and
    /// unfolded batch norms have a choice); prepared once per `Explainer`.
    func assignRule(_ composite: Composite, number: Int?, node: NodeShapes) throws -> NodeRule
    /// Which forward values `relevance` reads under `rule`; the forward pass keeps exactly
    /// these, and `RelevanceStep` hands exactly these to `relevance`.
    func reads(_ rule: NodeRule) -> ValuesRead
    /// The forward computation. A layer may keep products for its relevance (`saved`).
    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?)
    /// Relevance of each input from the output's, under the layer's rule (outside the cut-off).
    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance]
    /// Relevance of each input inside the cut-off region: needs no forward values.
    func flatRelevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance]
    /// Inside the cut-off region, whether only the channel sum of the output's relevance
    /// matters, given that answer for the inputs (`PreparedGraph.collapsible`).
    func collapsible(_ inputs: [Bool], _ step: LayoutStep) -> Bool
    /// The output shares the input's buffer (reshape, identity).
    var isAlias: Bool { get }
}

extension EngineLayer {
    func assignRule(_ composite: Composite, number: Int?, node: NodeShapes) throws -> NodeRule { .none }
    func reads(_ rule: NodeRule) -> ValuesRead { .nothing }
    /// Most layers treat relevance the same inside the cut-off region.
    func flatRelevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] { try relevance(r, step) }
    /// Most layers keep each channel's relevance to itself.
    func collapsible(_ inputs: [Bool], _ step: LayoutStep) -> Bool { inputs.first ?? false }
    var isAlias: Bool { false }
}

/// What the composite assigned to one node.
enum NodeRule {
    case none
    /// A convolution or linear layer's rule, with its modified parameters.
    case mapping(any PreparedMappingRule)
    case maxPool(MaxPoolRule)
    /// The epsilon rule with this ε (unfolded batch norms).
    case epsilon(Float)
}

/// The forward values a layer's relevance reads.
struct ValuesRead {
    /// Per input of the node.
    var inputs: [Bool]
    var output: Bool

    static let nothing = ValuesRead(inputs: [], output: false)
    static let firstInput = ValuesRead(inputs: [true], output: false)
    static func all(inputs n: Int) -> ValuesRead { ValuesRead(inputs: Array(repeating: true, count: n), output: false) }

    func readsInput(_ k: Int) -> Bool { k < inputs.count && inputs[k] }
}

/// Layouts of a node's inputs and output.
struct LayoutStep {
    let inputs: [ValueLayout]
    let output: ValueLayout
    var input: ValueLayout { inputs[0] }
}

/// What a layer's forward computation gets.
struct ForwardStep {
    let inputs: [FloatBuffer]
    let layouts: LayoutStep
    let rule: NodeRule
    let context: EngineContext
    /// Whether a rule may keep products of the input for the relevance pass (alpha-beta,
    /// z-plus); without, the layer computes its plain output and the relevance step forms the
    /// products itself (the same FLOPs, less memory: docs/DESIGN.md §1.4).
    var keepProducts = true

    var x: FloatBuffer { inputs[0] }
    var batch: Int { context.batch }
    /// A new output buffer for the whole batch.
    func newOutput() -> FloatBuffer { FloatBuffer(count: context.batch * layouts.output.count) }
}

/// What a layer's relevance computation gets: the forward values it declared in `reads`
/// (nil otherwise), what its forward kept, its rule and the batch context.
struct RelevanceStep {
    let name: String
    let inputs: [FloatBuffer?]
    let output: FloatBuffer?
    let saved: SavedProducts?
    let layouts: LayoutStep
    let rule: NodeRule
    let context: EngineContext

    var batch: Int { context.batch }

    /// Forward input `k`, which the layer must have declared in `reads`.
    func input(_ k: Int) throws -> FloatBuffer {
        guard k < inputs.count, let b = inputs[k] else {
            throw LRPError("internal error: the relevance of \(name) reads input \(k) it did not declare")
        }
        return b
    }

    /// Forward output, which the layer must have declared in `reads`.
    func outputValue() throws -> FloatBuffer {
        guard let b = output else {
            throw LRPError("internal error: the relevance of \(name) reads its output it did not declare")
        }
        return b
    }
}

/// Layers whose relevance passes through unchanged (activations, normalisations explained as
/// identity) and whose output has the input's layout.
protocol PassThroughLayer: EngineLayer {}

extension PassThroughLayer {
    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] { [r] }
}

/// Activation-like kinds: one input, the output has its shape, each output element sees what
/// its input element sees, relevance passes through, and lowering only checks the shape (a kind
/// with parameters to check overrides `lower`).
protocol ActivationKind: LayerKind, PassThroughLayer {}

extension ActivationKind {
    var category: LayerCategory? { .activation }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { inputs[0] }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        return self
    }
}

extension Graph {
    /// The receptive field of a value without spatial layout: the whole input.
    var globalField: ReceptiveField {
        let height = inputShape.count == 3 ? inputShape[1] : 1, width = inputShape.count == 3 ? inputShape[2] : 1
        return ReceptiveField(sizeH: height, sizeW: width, jumpH: height, jumpW: width,
                              startH: Double(height - 1) / 2, startW: Double(width - 1) / 2, isGlobal: true)
    }

    /// Node `i` with its shapes (its value indices must be valid).
    func nodeShapes(_ i: Int, global: ReceptiveField? = nil) -> NodeShapes {
        let node = nodes[i]
        return NodeShapes(index: i, name: node.name, label: "layer \(node.name) (\(node.onnxOp))",
                          inputs: node.inputs.map { valueShapes[$0.index] }, output: valueShapes[node.output.index],
                          global: global ?? globalField)
    }
}
