import CKernels
import LRPCore

/// A node's operation with everything the kernels need precomputed (geometries, parameter buffers).
enum PreparedOp {
    case mapping(MappingLayer)
    case relu
    case clip(min: Float, max: Float)
    case maxPool(LrpPoolGeometry)
    /// Average pooling, and global average pooling as a window over the whole map.
    case averagePool(LrpPoolGeometry)
    case channelAffine(scale: FloatBuffer, shift: FloatBuffer)
    case add
    case concat
    /// Reshape, Flatten, Identity, Dropout: the output shares the input's buffer.
    case alias
    case pad(Padding2D)
    case lrn(size: Int, alpha: Float, beta: Float, bias: Float)
    case softmax
}

struct PreparedNode {
    let index: Int
    let name: String
    let onnxOp: String
    let op: PreparedOp
    let inputs: [Int]
    let output: Int
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
        var mapping: [MappingLayer] = []
        for (i, node) in graph.nodes.enumerated() {
            let label = "layer \(node.name) (\(node.onnxOp))"
            guard node.output.index > 0, node.output.index < shapes.count, !defined[node.output.index] else {
                throw LRPError("malformed graph: \(label) writes an invalid or already defined value")
            }
            for v in node.inputs where v.index < 0 || v.index >= shapes.count || !defined[v.index] {
                throw LRPError("malformed graph: \(label) reads a value that is not defined before it")
            }
            let op = try PreparedGraph.prepare(node, index: i, shapes: shapes, label: label)
            if case .mapping(let layer) = op { mapping.append(layer) }
            defined[node.output.index] = true
            prepared.append(PreparedNode(index: i, name: node.name, onnxOp: node.onnxOp, op: op,
                                         inputs: node.inputs.map(\.index), output: node.output.index))
        }
        guard graph.output.index >= 0, graph.output.index < shapes.count, defined[graph.output.index] else {
            throw LRPError("malformed graph: the output value is not produced by any layer")
        }
        var logit = graph.output.index
        for node in prepared where node.output == graph.output.index {
            if case .softmax = node.op { logit = node.inputs[0] }
        }
        for node in prepared {
            if case .softmax = node.op, node.output != graph.output.index {
                throw LRPError("layer \(node.name) (Softmax): softmax is only supported as the last layer")
            }
        }
        nodes = prepared
        collapsible = PreparedGraph.collapsibleValues(prepared, layouts: layouts)
        logitValue = logit
        classes = layouts[logit].count
        mappingLayers = mapping
    }

    private static func collapsibleValues(_ nodes: [PreparedNode], layouts: [ValueLayout]) -> [Bool] {
        var c = Array(repeating: false, count: layouts.count)  // the input itself needs channels
        for node in nodes {
            let ins = node.inputs.map { c[$0] }
            switch node.op {
            case .mapping(let layer):
                if layer.isLinear || layer.groups == 1 {
                    c[node.output] = true
                } else if layer.input.channels == layer.groups {  // depthwise
                    c[node.output] = ins[0]
                }
            case .relu, .clip, .lrn, .channelAffine, .softmax, .maxPool, .averagePool, .pad:
                c[node.output] = ins[0]
            case .alias:
                c[node.output] = ins[0] && layouts[node.inputs[0]].spatial == layouts[node.output].spatial
            case .add:
                c[node.output] = ins.allSatisfy { $0 }
            case .concat:
                c[node.output] = false
            }
        }
        return c
    }

    private static func prepare(_ node: Node, index: Int, shapes: [[Int]], label: String) throws -> PreparedOp {
        let ins = node.inputs.map { shapes[$0.index] }
        let out = shapes[node.output.index]
        func count(_ s: [Int]) -> Int { s.reduce(1, *) }
        func expectInputs(_ n: Int) throws {
            guard ins.count == n else { throw LRPError("\(label): expected \(n) input(s), got \(ins.count)") }
        }
        func expectSameCount() throws {
            try expectInputs(1)
            guard count(ins[0]) == count(out) else {
                throw LRPError("\(label): output shape \(out) does not match input shape \(ins[0])")
            }
        }
        switch node.op {
        case .conv(let c):
            try expectInputs(1)
            return .mapping(try convLayer(c, node: node, index: index, input: ins[0], output: out, label: label))
        case .linear(let l):
            try expectInputs(1)
            guard count(ins[0]) == l.inFeatures, count(out) == l.outFeatures, l.inFeatures > 0, l.outFeatures > 0 else {
                throw LRPError("\(label): linear layer \(l.inFeatures)→\(l.outFeatures) does not fit input \(ins[0]) / output \(out)")
            }
            guard l.weight.count == l.inFeatures * l.outFeatures, l.bias == nil || l.bias!.count == l.outFeatures else {
                throw LRPError("\(label): weight or bias size does not match \(l.outFeatures)x\(l.inFeatures)")
            }
            let g = LrpConvGeometry(inChannels: Int32(l.inFeatures), inHeight: 1, inWidth: 1,
                                    outChannels: Int32(l.outFeatures), outHeight: 1, outWidth: 1,
                                    kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0,
                                    dilationH: 1, dilationW: 1, groups: 1)
            return .mapping(MappingLayer(nodeIndex: index, name: node.name, isLinear: true, geometry: g,
                                         weight: l.weight, bias: l.bias, input: ValueLayout(shape: [l.inFeatures]),
                                         output: ValueLayout(shape: [l.outFeatures])))
        case .relu:
            try expectSameCount()
            return .relu
        case .clip(let lo, let hi):
            try expectSameCount()
            guard !(lo > hi) else { throw LRPError("\(label): clip minimum \(lo) exceeds maximum \(hi)") }
            return .clip(min: lo, max: hi)
        case .identity:
            try expectSameCount()
            return .alias
        case .reshape:
            try expectSameCount()
            return .alias
        case .softmax:
            try expectSameCount()
            return .softmax
        case .lrn(let size, let alpha, let beta, let bias):
            try expectSameCount()
            guard size > 0 else { throw LRPError("\(label): LRN size must be positive") }
            return .lrn(size: size, alpha: alpha, beta: beta, bias: bias)
        case .maxPool(let p), .averagePool(let p):
            try expectInputs(1)
            guard ins[0].count == 3, out.count == 3, ins[0][0] == out[0] else {
                throw LRPError("\(label): pooling needs [C,H,W] input and output with equal channels (got \(ins[0]) → \(out))")
            }
            var g = LrpPoolGeometry(channels: Int32(out[0]), inHeight: Int32(ins[0][1]), inWidth: Int32(ins[0][2]),
                                    outHeight: Int32(out[1]), outWidth: Int32(out[2]),
                                    kernelH: Int32(p.kernelH), kernelW: Int32(p.kernelW),
                                    strideH: Int32(p.strideH), strideW: Int32(p.strideW),
                                    padTop: Int32(p.padTop), padLeft: Int32(p.padLeft),
                                    padBottom: Int32(p.padBottom), padRight: Int32(p.padRight),
                                    dilationH: Int32(p.dilationH), dilationW: Int32(p.dilationW),
                                    countIncludePad: p.countIncludePad ? 1 : 0)
            guard lrp_pool_check(&g) == 0 else { throw LRPError("\(label): pooling geometry does not fit \(ins[0]) → \(out)") }
            if case .maxPool = node.op { return .maxPool(g) }
            return .averagePool(g)
        case .globalAveragePool(let keep):
            try expectInputs(1)
            let c = ins[0].first ?? 0
            guard ins[0].count == 3, (keep ? out == [c, 1, 1] : out == [c]) else {
                throw LRPError("\(label): global average pooling of \(ins[0]) cannot give \(out)")
            }
            let h = ins[0][1], w = ins[0][2]
            let g = LrpPoolGeometry(channels: Int32(c), inHeight: Int32(h), inWidth: Int32(w), outHeight: 1, outWidth: 1,
                                    kernelH: Int32(h), kernelW: Int32(w), strideH: 1, strideW: 1,
                                    padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
                                    dilationH: 1, dilationW: 1, countIncludePad: 0)
            return .averagePool(g)
        case .channelAffine(let a):
            try expectSameCount()
            let c = ins[0][0]
            guard a.scale.count == c, a.shift.count == c else {
                throw LRPError("\(label): \(a.scale.count) scales / \(a.shift.count) shifts for \(c) channels")
            }
            return .channelAffine(scale: FloatBuffer(a.scale), shift: FloatBuffer(a.shift))
        case .add:
            try expectInputs(2)
            guard ins[0] == ins[1], count(ins[0]) == count(out) else {
                throw LRPError("\(label): adding \(ins[0]) and \(ins[1]) (broadcasting is not supported)")
            }
            return .add
        case .concat:
            guard !ins.isEmpty else { throw LRPError("\(label): concatenation without inputs") }
            let l = ins.map(ValueLayout.init), o = ValueLayout(shape: out)
            guard l.allSatisfy({ $0.spatial == o.spatial }), l.map(\.channels).reduce(0, +) == o.channels else {
                throw LRPError("\(label): concatenating \(ins) along channels cannot give \(out)")
            }
            return .concat
        case .pad(let p):
            try expectInputs(1)
            guard p.top >= 0, p.left >= 0, p.bottom >= 0, p.right >= 0 else {
                throw LRPError("\(label): negative padding (cropping) is not supported")
            }
            guard ins[0].count == 3, out == [ins[0][0], ins[0][1] + p.top + p.bottom, ins[0][2] + p.left + p.right] else {
                throw LRPError("\(label): padding \(ins[0]) cannot give \(out)")
            }
            return .pad(p)
        }
    }

    private static func convLayer(_ c: Conv2D, node: Node, index: Int, input: [Int], output: [Int],
                                  label: String) throws -> MappingLayer {
        guard input.count == 3, output.count == 3 else {
            throw LRPError("\(label): convolution needs [C,H,W] input and output (got \(input) → \(output))")
        }
        guard c.groups > 0, c.inChannels == input[0], c.outChannels == output[0],
              c.inChannels % c.groups == 0, c.outChannels % c.groups == 0 else {
            throw LRPError("\(label): \(c.inChannels)→\(c.outChannels) channels in \(c.groups) groups do not fit \(input) → \(output)")
        }
        guard c.kernelH > 0, c.kernelW > 0, c.strideH > 0, c.strideW > 0, c.dilationH > 0, c.dilationW > 0,
              c.padTop >= 0, c.padLeft >= 0, c.padBottom >= 0, c.padRight >= 0 else {
            throw LRPError("\(label): kernel, stride, dilation must be positive and pads non-negative")
        }
        guard c.weight.count == c.outChannels * (c.inChannels / c.groups) * c.kernelH * c.kernelW,
              c.bias == nil || c.bias!.count == c.outChannels else {
            throw LRPError("\(label): weight or bias size does not match the convolution's shape")
        }
        let oh = (input[1] + c.padTop + c.padBottom - c.dilationH * (c.kernelH - 1) - 1) / c.strideH + 1
        let ow = (input[2] + c.padLeft + c.padRight - c.dilationW * (c.kernelW - 1) - 1) / c.strideW + 1
        guard oh == output[1], ow == output[2] else {
            throw LRPError("\(label): output size \(output[1])x\(output[2]) does not match the geometry (\(oh)x\(ow))")
        }
        var g = LrpConvGeometry(inChannels: Int32(input[0]), inHeight: Int32(input[1]), inWidth: Int32(input[2]),
                                outChannels: Int32(output[0]), outHeight: Int32(oh), outWidth: Int32(ow),
                                kernelH: Int32(c.kernelH), kernelW: Int32(c.kernelW),
                                strideH: Int32(c.strideH), strideW: Int32(c.strideW),
                                padTop: Int32(c.padTop), padLeft: Int32(c.padLeft),
                                dilationH: Int32(c.dilationH), dilationW: Int32(c.dilationW), groups: Int32(c.groups))
        guard lrp_conv_check(&g) == 0 else { throw LRPError("\(label): invalid convolution geometry") }
        return MappingLayer(nodeIndex: index, name: node.name, isLinear: false, geometry: g, weight: c.weight,
                            bias: c.bias, input: ValueLayout(shape: input), output: ValueLayout(shape: output))
    }
}
