import CKernels
import LRPCore

/// A node lowered for the kernels: its layer (`EngineLayer`) and where its values are.
struct PreparedNode {
    let index: Int
    let name: String
    let onnxOp: String
    let layer: any EngineLayer
    let inputs: [Int]
    let output: Int
    /// The node with its shapes, for rule assignment and messages.
    let shapes: NodeShapes
}

/// A `Graph` checked for consistency and turned into kernel-ready nodes. Every check that could
/// fail on a user's model is an `LRPError` naming the layer.
struct PreparedGraph {
    let nodes: [PreparedNode]
    let shapes: [[Int]]
    let layouts: [ValueLayout]
    let inputShape: [Int]
    /// The value explained: the graph output, or the input of a final softmax.
    let logitValue: Int
    let classes: Int
    let mappingLayers: [MappingLayer]
    /// Per value: inside the cut-off region, does only the channel sum of its relevance matter?
    /// True when every path from the value to the input passes a flat layer that spreads one map
    /// over all its input channels (single-group convolution, linear layer) through layers that
    /// treat all channels alike (depthwise convolution, pooling, sums, activations, padding).
    let collapsible: [Bool]

    init(_ graph: Graph) throws {
        guard graph.inputShape.count == 3, graph.inputShape.allSatisfy({ $0 > 0 }) else {
            throw LRPError("the model input must have shape [C, H, W] per sample (got \(graph.inputShape))")
        }
        guard !graph.valueShapes.isEmpty, graph.valueShapes[0] == graph.inputShape else {
            throw LRPError("malformed graph: value 0 must be the input \(graph.inputShape)")
        }
        guard graph.valueShapes.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 > 0 } }) else {
            throw LRPError("malformed graph: every value needs a non-empty positive shape")
        }
        shapes = graph.valueShapes
        layouts = graph.valueShapes.map(ValueLayout.init)
        inputShape = graph.inputShape
        var defined = Array(repeating: false, count: shapes.count)
        defined[0] = true
        var prepared: [PreparedNode] = []
        let global = graph.globalField
        var mapping: [MappingLayer] = []
        for (i, node) in graph.nodes.enumerated() {
            let label = "layer \(node.name) (\(node.onnxOp))"
            guard node.output.index > 0, node.output.index < shapes.count, !defined[node.output.index] else {
                throw LRPError("malformed graph: \(label) writes an invalid or already defined value")
            }
            for v in node.inputs where v.index < 0 || v.index >= shapes.count || !defined[v.index] {
                throw LRPError("malformed graph: \(label) reads a value that is not defined before it")
            }
            let io = graph.nodeShapes(i, global: global)
            let layer = try node.op.kind.lower(io)
            if let m = layer as? MappingLayer { mapping.append(m) }
            defined[node.output.index] = true
            prepared.append(PreparedNode(index: i, name: node.name, onnxOp: node.onnxOp, layer: layer,
                                         inputs: node.inputs.map(\.index), output: node.output.index, shapes: io))
        }
        guard graph.output.index >= 0, graph.output.index < shapes.count, defined[graph.output.index] else {
            throw LRPError("malformed graph: the output value is not produced by any layer")
        }
        var logit = graph.output.index
        for node in prepared where node.output == graph.output.index {
            if node.layer is SoftmaxKind { logit = node.inputs[0] }
        }
        for node in prepared {
            if node.layer is SoftmaxKind, node.output != graph.output.index {
                throw LRPError("layer \(node.name) (Softmax): softmax is only supported as the last layer")
            }
        }
        nodes = prepared
        collapsible = PreparedGraph.collapsibleValues(prepared, layouts: layouts)
        logitValue = logit
        classes = layouts[logit].count
        mappingLayers = mapping
    }

    /// Inside the cut-off region, per value: whether only the channel sum of its relevance
    /// matters (each layer kind answers from its inputs' answers; the input itself needs channels).
    private static func collapsibleValues(_ nodes: [PreparedNode], layouts: [ValueLayout]) -> [Bool] {
        var c = Array(repeating: false, count: layouts.count)
        for node in nodes {
            let step = LayoutStep(inputs: node.inputs.map { layouts[$0] }, output: layouts[node.output])
            c[node.output] = node.layer.collapsible(node.inputs.map { c[$0] }, step)
        }
        return c
    }

    /// Layouts of node `i`'s inputs and output.
    func layouts(of node: PreparedNode) -> LayoutStep {
        LayoutStep(inputs: node.inputs.map { layouts[$0] }, output: layouts[node.output])
    }
}
