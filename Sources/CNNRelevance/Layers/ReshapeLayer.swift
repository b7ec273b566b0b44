import LRPCore

/// Flatten, Reshape, Squeeze, Unsqueeze: the per-sample shape changes, the data order (C order)
/// does not, so the output is the input's buffer and relevance is reshaped back.
struct ReshapeKind: LayerKind, EngineLayer {
    let shape: [Int]

    var summary: String { "reshape \(ShapeMath.describe(shape))" }
    var isAlias: Bool { true }

    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField {
        let inShape = io.input
        let keepsMap = shape.count == 3 && inShape.count == 3 && shape.dropFirst() == inShape.dropFirst()
        return keepsMap ? inputs[0] : io.global
    }

    /// Only `[C, 1, 1]` ↔ `[C]`: the class axis stays the only non-trivial one.
    func isChannelwise(_ io: NodeShapes) -> Bool {
        io.input.dropFirst().allSatisfy { $0 == 1 } && io.output.dropFirst().allSatisfy { $0 == 1 }
            && io.input.first == io.output.first
    }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectSameCount()
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) { (step.x, nil) }

    /// A channel-uniform map survives if the per-channel block keeps its size (or was a
    /// single value).
    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        let from = step.layouts.output, to = step.layouts.input, batch = step.batch
        switch r {
        case .channelSum:
            precondition(from.spatial == to.spatial, "internal error: channel sum through a reshape")
            return [r]
        case .full:
            return [r]
        case .uniform(let m):
            if from.spatial == to.spatial { return [r] }
            if from.spatial == 1 {
                let out = FloatBuffer(count: batch * to.spatial)
                for n in 0..<batch { (out.pointer + n * to.spatial).update(repeating: m[n], count: to.spatial) }
                return [.uniform(out)]
            }
            return [.full(r.materialized(from, batch: batch))]
        }
    }

    func collapsible(_ inputs: [Bool], _ step: LayoutStep) -> Bool {
        inputs[0] && step.input.spatial == step.output.spatial
    }
}
