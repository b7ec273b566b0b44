import LRPCore

extension Graph {
    /// The same model with only the outputs `classes` (original indices, in the given order):
    /// the rows of the last conv/linear layer are sliced, and the channel-wise layers between
    /// it and the output (activations, pooling, flatten, ...) shrink with it. `outputClasses`
    /// records the original index of each remaining output.
    ///
    /// - Throws: `LRPError` for an empty list, duplicates, out-of-range indices, or a model
    ///   whose outputs do not come from one layer through channel-wise operations only.
    public func restrictingOutputs(to classes: [Int]) throws -> Graph {
        let outShape = valueShapes[output.index]
        guard outShape.count == 1 else { throw LRPError("cannot restrict outputs: the output is not a vector") }
        let available = outShape[0]
        guard !classes.isEmpty else { throw LRPError("the class list needs at least one class index") }
        guard Set(classes).count == classes.count else { throw LRPError("the class list names a class twice") }
        if let bad = classes.first(where: { $0 < 0 || $0 >= available }) {
            throw LRPError("class index \(bad) out of range: the model has \(available) outputs (0...\(available - 1))")
        }
        // Walk back from the output through channel-wise layers to the mapping layer.
        let readers = consumers()
        var path: [Int] = []
        var v = output
        while true {
            guard let k = producer(of: v) else { throw LRPError("cannot restrict outputs: no conv/linear layer produces them") }
            let n = nodes[k]
            if v != output && readers[v.index].count != 1 {
                throw LRPError("cannot restrict outputs: layer '\(n.name)' also feeds other layers")
            }
            path.append(k)
            if n.op.isMapping { break }
            guard Self.isChannelwise(n, shapes: valueShapes), let next = n.inputs.first else {
                throw LRPError("cannot restrict outputs: layer '\(n.name)' (\(n.onnxOp)) mixes channels")
            }
            v = next
        }
        var g = self
        for k in path {
            var n = g.nodes[k]
            switch n.op {
            case .conv(var c):
                guard c.groups == 1 else { throw LRPError("cannot restrict outputs of the grouped convolution '\(n.name)'") }
                let per = c.weight.count / c.outChannels
                c.weight = classes.flatMap { c.weight[$0 * per..<($0 + 1) * per] }
                c.bias = c.bias.map { b in classes.map { b[$0] } }
                c.outChannels = classes.count
                n.op = .conv(c)
            case .linear(var l):
                l.weight = classes.flatMap { l.weight[$0 * l.inFeatures..<($0 + 1) * l.inFeatures] }
                l.bias = l.bias.map { b in classes.map { b[$0] } }
                l.outFeatures = classes.count
                n.op = .linear(l)
            case .channelAffine(let a):
                n.op = .channelAffine(ChannelAffine(scale: classes.map { a.scale[$0] }, shift: classes.map { a.shift[$0] }))
            case .reshape(var shape):
                shape[0] = classes.count
                n.op = .reshape(shape: shape)
            default:
                break
            }
            g.nodes[k] = n
            g.valueShapes[n.output.index][0] = classes.count
        }
        g.outputClasses = classes.map { outputClasses?[$0] ?? $0 }
        return g
    }

    /// Layers whose output channel c depends only on input channel c (and keep channel 0 as
    /// the class axis).
    private static func isChannelwise(_ n: Node, shapes: [[Int]]) -> Bool {
        guard n.inputs.count == 1 else { return false }
        let io = NodeShapes(index: 0, name: n.name, label: n.name, inputs: [shapes[n.inputs[0].index]],
                            output: shapes[n.output.index], global: .pixel)
        return n.op.kind.isChannelwise(io)
    }
}
