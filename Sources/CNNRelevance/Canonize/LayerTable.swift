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

extension LayerOp {
    /// Compact human-readable description used in tables and messages.
    public var shortDescription: String {
        func window(_ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int) -> String {
            var s = "\(kh)x\(kw)"
            if sh != 1 || sw != 1 { s += sh == sw ? " s\(sh)" : " s\(sh)x\(sw)" }
            return s
        }
        switch self {
        case .conv(let c):
            var s = "conv \(window(c.kernelH, c.kernelW, c.strideH, c.strideW)) \(c.inChannels)->\(c.outChannels)"
            if c.groups == c.inChannels && c.groups > 1 { s += " depthwise" } else if c.groups > 1 { s += " g\(c.groups)" }
            if c.dilationH != 1 || c.dilationW != 1 { s += " d\(c.dilationH)" }
            return s
        case .linear(let l): return "linear \(l.inFeatures)->\(l.outFeatures)"
        case .relu: return "relu"
        case .clip(let lo, let hi):
            if lo == 0 && hi == 6 { return "relu6" }
            return "clip [\(lo), \(hi)]"
        case .maxPool(let p): return "maxpool \(window(p.kernelH, p.kernelW, p.strideH, p.strideW))\(p.ceilMode ? " ceil" : "")"
        case .averagePool(let p): return "avgpool \(window(p.kernelH, p.kernelW, p.strideH, p.strideW))\(p.ceilMode ? " ceil" : "")"
        case .globalAveragePool: return "global avgpool"
        case .channelAffine: return "channel affine"
        case .add: return "add"
        case .concat: return "concat"
        case .reshape(let s): return "reshape \(ShapeMath.describe(s))"
        case .pad(let p): return "pad \(p.top),\(p.left),\(p.bottom),\(p.right)"
        case .lrn(let size, _, _, _): return "lrn \(size)"
        case .identity: return "identity"
        case .softmax: return "softmax"
        }
    }
}
