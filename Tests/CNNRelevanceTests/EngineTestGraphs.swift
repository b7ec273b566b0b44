@testable import CNNRelevance

/// Builds small `Graph`s by hand (random parameters, fixed seeds) for the engine tests: the
/// fixture models' layer kinds without depending on the ONNX importer.
struct TestGraphBuilder {
    var rng: SeededRandom
    var shapes: [[Int]]
    var names: [String]
    var nodes: [Node] = []
    var current: ValueID = ValueID(0)

    init(input: [Int], seed: UInt64) {
        rng = SeededRandom(seed)
        shapes = [input]
        names = ["input"]
    }

    var shape: [Int] { shapes[current.index] }

    @discardableResult
    mutating func add(_ op: LayerOp, _ onnx: String, inputs: [ValueID]? = nil, shape: [Int]) -> ValueID {
        let out = ValueID(shapes.count)
        shapes.append(shape)
        names.append("v\(out.index)")
        nodes.append(Node(name: "\(onnx.lowercased())\(nodes.count)", onnxOp: onnx, op: op,
                          inputs: inputs ?? [current], output: out))
        current = out
        return out
    }

    @discardableResult
    mutating func conv(_ outC: Int, k: Int, stride: Int = 1, pad: (Int, Int, Int, Int)? = nil, dilation: Int = 1,
                       groups: Int = 1, bias: Bool = true, scale: Float = 0.6) -> ValueID {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let p = pad ?? (k / 2 * dilation, k / 2 * dilation, k / 2 * dilation, k / 2 * dilation)
        let oh = (h + p.0 + p.2 - dilation * (k - 1) - 1) / stride + 1
        let ow = (w + p.1 + p.3 - dilation * (k - 1) - 1) / stride + 1
        let fan = Float(c / groups * k * k)
        let conv = Conv2D(weight: rng.floats(outC * (c / groups) * k * k, -scale...scale).map { $0 * 2 / fan.squareRoot() },
                          bias: bias ? rng.floats(outC, -0.2...0.2) : nil, outChannels: outC, inChannels: c,
                          kernelH: k, kernelW: k, strideH: stride, strideW: stride, padTop: p.0, padLeft: p.1,
                          padBottom: p.2, padRight: p.3, dilationH: dilation, dilationW: dilation, groups: groups)
        return add(.conv(conv), "Conv", shape: [outC, oh, ow])
    }

    @discardableResult
    mutating func linear(_ out: Int) -> ValueID {
        let inF = shape.reduce(1, *)
        let l = Linear(weight: rng.floats(out * inF).map { $0 * 2 / Float(inF).squareRoot() },
                       bias: rng.floats(out, -0.2...0.2), inFeatures: inF, outFeatures: out)
        return add(.linear(l), "Gemm", shape: [out])
    }

    @discardableResult mutating func relu() -> ValueID { add(.relu, "Relu", shape: shape) }
    @discardableResult mutating func relu6() -> ValueID { add(.clip(min: 0, max: 6), "Clip", shape: shape) }
    @discardableResult mutating func flatten() -> ValueID { add(.reshape(shape: [shape.reduce(1, *)]), "Flatten", shape: [shape.reduce(1, *)]) }

    @discardableResult
    mutating func pool(max isMax: Bool, k: Int, stride: Int, pad: Int = 0, ceil: Bool = false,
                       countIncludePad: Bool = false) -> ValueID {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        func out(_ n: Int) -> Int {
            let span = n + 2 * pad - k
            var o = (ceil ? (span + stride - 1) / stride : span / stride) + 1
            if ceil && (o - 1) * stride >= n + pad { o -= 1 }
            return o
        }
        let (oh, ow) = (out(h), out(w))
        // extra bottom/right padding implied by ceil mode
        let pb = max(pad, (oh - 1) * stride + k - h - pad), pr = max(pad, (ow - 1) * stride + k - w - pad)
        let p = Pool2D(kernelH: k, kernelW: k, strideH: stride, strideW: stride, padTop: pad, padLeft: pad,
                       padBottom: pb, padRight: pr, ceilMode: ceil, countIncludePad: countIncludePad)
        return add(isMax ? .maxPool(p) : .averagePool(p), isMax ? "MaxPool" : "AveragePool", shape: [c, oh, ow])
    }

    @discardableResult
    mutating func gap(keep: Bool) -> ValueID {
        add(.globalAveragePool(keepSpatial: keep), "GlobalAveragePool", shape: keep ? [shape[0], 1, 1] : [shape[0]])
    }

    @discardableResult
    mutating func affine() -> ValueID {
        let c = shape[0]
        return add(.channelAffine(ChannelAffine(scale: rng.floats(c, 0.5...1.5), shift: rng.floats(c, -0.3...0.3))),
                   "BatchNormalization", shape: shape)
    }

    @discardableResult
    mutating func sum(_ a: ValueID, _ b: ValueID) -> ValueID { add(.add, "Add", inputs: [a, b], shape: shapes[a.index]) }

    @discardableResult
    mutating func concat(_ vs: [ValueID]) -> ValueID {
        let s = shapes[vs[0].index]
        return add(.concat, "Concat", inputs: vs, shape: [vs.map { shapes[$0.index][0] }.reduce(0, +), s[1], s[2]])
    }

    @discardableResult
    mutating func pad(_ t: Int, _ l: Int, _ b: Int, _ r: Int) -> ValueID {
        add(.pad(Padding2D(top: t, left: l, bottom: b, right: r)), "Pad", shape: [shape[0], shape[1] + t + b, shape[2] + l + r])
    }

    func graph() -> Graph {
        Graph(inputName: "input", inputShape: shapes[0], valueShapes: shapes, valueNames: names, nodes: nodes,
              output: current)
    }
}

enum TestGraphs {
    /// Sequential: input padding, conv, ReLU, strided conv + ReLU6, dilated conv, max pooling with
    /// ceil mode, LRN, flatten, two linear layers, softmax.
    static func plain(seed: UInt64 = 11) -> Graph {
        var b = TestGraphBuilder(input: [3, 12, 12], seed: seed)
        b.pad(1, 0, 0, 1)
        b.conv(6, k: 3, pad: (0, 1, 1, 0)); b.relu()
        b.conv(8, k: 3, stride: 2); b.relu6()
        b.conv(8, k: 3, dilation: 2); b.relu()
        b.pool(max: true, k: 3, stride: 2, ceil: true)
        b.add(.lrn(size: 3, alpha: 1e-4, beta: 0.75, bias: 1), "LRN", shape: b.shape)
        b.flatten()
        b.linear(12); b.relu()
        b.linear(7)
        b.add(.softmax, "Softmax", shape: b.shape)
        return b.graph()
    }

    /// MobileNet-like: conv + ReLU6, depthwise + ReLU6, pointwise (linear bottleneck) and a
    /// residual sum, an expansion conv on the (signed) sum, grouped strided conv, average
    /// pooling, unfoldable batch norm, 1×1 conv, global average pooling, linear.
    static func mobile(seed: UInt64 = 12) -> Graph {
        var b = TestGraphBuilder(input: [3, 12, 12], seed: seed)
        b.conv(8, k: 3); let a = b.relu6()
        b.conv(8, k: 3, groups: 8); b.relu6()
        let y = b.conv(8, k: 1, bias: true)
        b.sum(a, y)
        b.conv(16, k: 1); b.relu6()
        b.conv(16, k: 3, stride: 2, groups: 16); b.relu6()
        b.conv(12, k: 3, stride: 1, groups: 4); b.relu()
        b.pool(max: false, k: 2, stride: 2)
        b.affine()
        b.conv(10, k: 1); b.relu()
        b.gap(keep: true); b.flatten()
        b.linear(5)
        return b.graph()
    }

    /// Branchy: strided 5×5 conv, padded max pooling, two branches joined by concatenation, a
    /// residual sum followed by an unfoldable batch norm, padded average pooling
    /// (count_include_pad), global average pooling without spatial dims, linear.
    static func branchy(seed: UInt64 = 13) -> Graph {
        var b = TestGraphBuilder(input: [3, 16, 16], seed: seed)
        b.conv(8, k: 5, stride: 2); b.relu()
        let x = b.pool(max: true, k: 3, stride: 2, pad: 1)
        b.conv(6, k: 1); let a = b.relu()
        b.current = x
        b.conv(4, k: 3); b.relu(); b.conv(6, k: 3); let c = b.relu()
        let cat = b.concat([a, c])
        let r = b.conv(12, k: 3, bias: false)
        b.sum(cat, r); b.affine(); b.relu()
        b.pool(max: false, k: 3, stride: 2, pad: 1, countIncludePad: true)
        b.gap(keep: false)
        b.linear(6)
        return b.graph()
    }

    static let all: [(String, () -> Graph)] = [("plain", { plain() }), ("mobile", { mobile() }), ("branchy", { branchy() })]
}
