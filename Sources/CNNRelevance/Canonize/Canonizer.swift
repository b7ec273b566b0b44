import LRPCore

/// Rewrites an imported graph into the canonical form the engine explains (like zennit's
/// canonizers): the order matters — identities go first so that a Softmax or a batch norm is
/// seen right after the layer it belongs to.
public enum Canonizer {
    public static func canonical(_ graph: Graph) throws -> Graph {
        var g = graph
        DeadNodeElimination.apply(&g)
        IdentityRemoval.apply(&g)
        try SoftmaxRemoval.apply(&g)
        AffineFolding.apply(&g)
        try OutputVector.apply(&g)
        DeadNodeElimination.apply(&g)
        g = g.compacted()
        try validate(g)
        return g
    }

    /// Structural checks every canonical graph satisfies (topological order, one producer per
    /// value, the output produced by a layer).
    static func validate(_ g: Graph) throws {
        guard !g.nodes.isEmpty else { throw LRPError("the model has no layers") }
        var defined: Set<Int> = [0]
        for n in g.nodes {
            for v in n.inputs where !defined.contains(v.index) {
                throw LRPError("internal: layer '\(n.name)' reads a value defined later")
            }
            guard defined.insert(n.output.index).inserted else {
                throw LRPError("internal: value \(n.output) is produced twice")
            }
        }
        guard g.output.index != 0, defined.contains(g.output.index) else {
            throw LRPError("the model output is not computed from its input")
        }
    }
}

/// Drops layers whose result never reaches the output (e.g. an unused branch).
enum DeadNodeElimination {
    static func apply(_ g: inout Graph) {
        var live: Set<Int> = [g.output.index]
        var keep = [Bool](repeating: false, count: g.nodes.count)
        for k in g.nodes.indices.reversed() where live.contains(g.nodes[k].output.index) {
            keep[k] = true
            for v in g.nodes[k].inputs { live.insert(v.index) }
        }
        g.nodes = g.nodes.indices.filter { keep[$0] }.map { g.nodes[$0] }
    }
}

/// Removes Identity and Dropout layers and reshapes that do not change the shape, in one pass
/// (linear in the number of nodes: a chain of thousands of identities must not cost seconds).
enum IdentityRemoval {
    static func apply(_ g: inout Graph) {
        // The value each removed node's output stands for, resolved through chains of removals
        // (nodes are in topological order, so an input is resolved before it is looked up).
        var alias: [Int: ValueID] = [:]
        func resolve(_ v: ValueID) -> ValueID { alias[v.index] ?? v }
        var kept: [Node] = []
        kept.reserveCapacity(g.nodes.count)
        for var n in g.nodes {
            n.inputs = n.inputs.map(resolve)
            let isNoOp: Bool
            switch n.op {
            case .identity: isNoOp = true
            case .reshape(let shape): isNoOp = n.inputs.count == 1 && g.valueShapes[n.inputs[0].index] == shape
            default: isNoOp = false
            }
            if isNoOp, let input = n.inputs.first {
                alias[n.output.index] = input
            } else {
                kept.append(n)
            }
        }
        g.nodes = kept
        g.output = resolve(g.output)
    }
}

/// A Softmax at the output is dropped (the logits are explained) and recorded in
/// `Graph.removedOutputSoftmax`; a Softmax anywhere else is an error.
enum SoftmaxRemoval {
    static func apply(_ g: inout Graph) throws {
        while let k = g.nodes.firstIndex(where: { if case .softmax = $0.op { return true } else { return false } }) {
            let n = g.nodes[k]
            guard n.output == g.output, let input = n.inputs.first else {
                throw LRPError("Softmax in node '\(n.name)' is not the last layer; only a final Softmax is supported")
            }
            g.nodes.remove(at: k)
            g.replaceUses(of: n.output, with: input)
            g.removedOutputSoftmax = true
        }
    }
}

/// Folds a channel affine map (an inference-mode BatchNormalization, or a constant bias/scale
/// from Add/Sub/Mul/Div) into the convolution or linear layer right before it, when that
/// layer's output feeds nothing else: `W'[o] = s[o]·W[o]`, `b'[o] = s[o]·b[o] + t[o]`.
/// What cannot be folded stays a `.channelAffine` layer (explained with epsilon).
enum AffineFolding {
    static func apply(_ g: inout Graph) {
        var changed = true
        while changed {
            changed = false
            let readers = g.consumers()
            for k in g.nodes.indices {
                guard case .channelAffine(let affine) = g.nodes[k].op, let v = g.nodes[k].inputs.first,
                      v != g.output, readers[v.index] == [k], let m = g.producer(of: v),
                      fold(affine, into: &g.nodes[m]) else { continue }
                let out = g.nodes[k].output
                g.nodes.remove(at: k)
                g.replaceUses(of: out, with: v)
                changed = true
                break
            }
        }
    }

    /// Folds into a conv or linear node; false if `node` is neither or the sizes disagree.
    private static func fold(_ a: ChannelAffine, into node: inout Node) -> Bool {
        switch node.op {
        case .conv(var c):
            guard a.scale.count == c.outChannels, a.shift.count == c.outChannels else { return false }
            let per = c.weight.count / c.outChannels
            var bias = c.bias ?? [Float](repeating: 0, count: c.outChannels)
            for o in 0..<c.outChannels {
                for i in 0..<per { c.weight[o * per + i] *= a.scale[o] }
                bias[o] = bias[o] * a.scale[o] + a.shift[o]
            }
            c.bias = bias
            node.op = .conv(c)
            return true
        case .linear(var l):
            guard a.scale.count == l.outFeatures, a.shift.count == l.outFeatures else { return false }
            var bias = l.bias ?? [Float](repeating: 0, count: l.outFeatures)
            for o in 0..<l.outFeatures {
                for i in 0..<l.inFeatures { l.weight[o * l.inFeatures + i] *= a.scale[o] }
                bias[o] = bias[o] * a.scale[o] + a.shift[o]
            }
            l.bias = bias
            node.op = .linear(l)
            return true
        default:
            return false
        }
    }
}

/// Makes the output a vector of class scores: `[K, 1, 1]` gets a final reshape to `[K]`;
/// anything with spatial extent (a segmentation map) is rejected.
enum OutputVector {
    static func apply(_ g: inout Graph) throws {
        let s = g.valueShapes[g.output.index]
        if s.count == 1 { return }
        guard let k = s.first, s.dropFirst().allSatisfy({ $0 == 1 }) else {
            throw LRPError("the model output has per-sample shape \(ShapeMath.describe(s)); expected a vector of class scores")
        }
        g.valueShapes.append([k])
        g.valueNames.append(g.valueNames[g.output.index] + "/flat")
        let id = ValueID(g.valueShapes.count - 1)
        g.nodes.append(Node(name: "output_flatten", onnxOp: "Flatten", op: .reshape(shape: [k]), inputs: [g.output], output: id))
        g.output = id
    }
}
