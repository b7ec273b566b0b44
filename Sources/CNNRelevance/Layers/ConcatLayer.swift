import LRPCore

/// Concatenation along the channel axis. Each input gets its channels' relevance, inside the
/// cut-off region too.
struct ConcatKind: LayerKind, EngineLayer {
    var summary: String { "concat" }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { .union(inputs) }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        guard !io.inputs.isEmpty else { throw LRPError("\(io.label): concatenation without inputs") }
        let l = io.inputs.map(ValueLayout.init), o = ValueLayout(shape: io.output)
        guard l.allSatisfy({ $0.spatial == o.spatial }), l.map(\.channels).reduce(0, +) == o.channels else {
            throw LRPError("\(io.label): concatenating \(io.inputs) along channels cannot give \(io.output)")
        }
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let y = step.newOutput(), outCount = step.layouts.output.count
        for n in 0..<step.batch {
            var offset = n * outCount
            for (k, l) in step.layouts.inputs.enumerated() {
                (y.pointer + offset).update(from: step.inputs[k].pointer + n * l.count, count: l.count)
                offset += l.count
            }
        }
        return (y, nil)
    }

    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        let inputs = step.layouts.inputs, output = step.layouts.output, batch = step.batch
        if case .uniform = r { return inputs.map { _ in r } }
        if case .channelSum = r { preconditionFailure("internal error: channel sum through a concatenation") }
        let R = r.materialized(output, batch: batch)
        var parts: [Relevance] = []
        var offset = 0
        for l in inputs {
            let part = FloatBuffer(count: batch * l.count)
            for n in 0..<batch {
                (part.pointer + n * l.count).update(from: R.pointer + n * output.count + offset, count: l.count)
            }
            offset += l.count
            parts.append(.full(part))
        }
        return parts
    }

    /// Channels of different inputs stay apart.
    func collapsible(_ inputs: [Bool], _ step: LayoutStep) -> Bool { false }
}
