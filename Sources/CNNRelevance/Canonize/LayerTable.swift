/// One row of `lrp-cnn layers`: a layer, its output and what `--cutoff` index it carries.
public struct LayerInfo: Sendable {
    /// Position in `Graph.nodes`.
    public var index: Int
    public var name: String
    public var onnxOp: String
    /// Short description of the operation, e.g. "conv 3x3 s2 g32" or "relu6".
    public var operation: String
    /// Per-sample output shape.
    public var outputShape: [Int]
    public var receptiveField: ReceptiveField
    /// For conv/linear layers: the `K` of `--cutoff K` that makes this the last flat mapping
    /// layer (1-based); nil for other layers.
    public var mappingIndex: Int?
}

extension Graph {
    /// Number of conv/linear layers: `--cutoff` accepts `0...mappingLayerCount`.
    public var mappingLayerCount: Int { nodes.filter { $0.op.isMapping }.count }

    /// The layer table for `lrp-cnn layers`.
    public func layerTable() -> [LayerInfo] {
        let rf = receptiveFields()
        var k = 0
        return nodes.enumerated().map { i, n in
            var mapping: Int?
            if n.op.isMapping { k += 1; mapping = k }
            return LayerInfo(index: i, name: n.name, onnxOp: n.onnxOp, operation: n.op.shortDescription,
                             outputShape: valueShapes[n.output.index], receptiveField: rf[n.output.index],
                             mappingIndex: mapping)
        }
    }
}
