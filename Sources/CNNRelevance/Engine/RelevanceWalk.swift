import LRPCore

/// The backward pass: walks the prepared graph from the logits down to the input, node by node
/// in reverse topological order, keeping the relevance that has reached each value. A node
/// either keeps its rule (`normalStep`) or, inside the cut-off region, uses the flat treatment
/// (`flatStep`). A value read by several nodes sums their contributions before its producer
/// is visited (every consumer comes later in topological order).
struct RelevanceWalk {
    let graph: PreparedGraph
    /// Rule of every mapping node outside the cut-off region, by node index.
    let rules: [Int: MappingRule]
    let plan: RulePlan
    /// Rule of every max-pooling node, by node index.
    let maxPoolRules: [Int: MaxPoolRule]
    /// Forward activations, by value index.
    let values: [FloatBuffer?]
    /// Products the rules kept during the forward pass, by node index.
    let saved: [Int: SavedProducts]

    typealias Pending = [Int: Relevance]

    /// A forward value the relevance pass reads (kept by `ForwardRunner.valuesRead`).
    private func value(_ v: Int) throws -> FloatBuffer {
        guard let b = values[v] else {
            throw LRPError("internal error: the forward pass did not keep \(graph.shapes[v]) value v\(v)")
        }
        return b
    }

    private func add(_ r: Relevance, to value: Int, _ pending: inout Pending, batch: Int) {
        if let existing = pending[value] {
            pending[value] = Relevance.sum(existing, r, layout: graph.layouts[value], batch: batch)
        } else {
            pending[value] = r
        }
    }

    /// Explains node `index` with its own rule.
    func normalStep(_ index: Int, _ pending: inout Pending, _ ctx: EngineContext) throws {
        let node = graph.nodes[index]
        guard let r = pending.removeValue(forKey: node.output) else { return }
        let inL = node.inputs.map { graph.layouts[$0] }, outL = graph.layouts[node.output]
        switch node.op {
        case .mapping(let layer):
            guard let rule = rules[index] else { throw LRPError("internal error: no rule for \(node.name)") }
            // unread values may be absent: the rule gets a placeholder it never touches
            let x = rule.readsInput ? try value(node.inputs[0]) : FloatBuffer(count: 0)
            let z = rule.readsOutput ? try value(node.output) : FloatBuffer(count: 0)
            let rin = try rule.relevance(layer, input: x, output: z, saved: saved[index], relevance: r, context: ctx)
            add(rin, to: node.inputs[0], &pending, batch: ctx.batch)
        case .relu, .clip, .lrn, .softmax:
            add(r, to: node.inputs[0], &pending, batch: ctx.batch)
        case .alias:
            add(LayerRules.reshape(r, from: outL, to: inL[0], batch: ctx.batch), to: node.inputs[0], &pending, batch: ctx.batch)
        case .maxPool(let g):
            let x = try value(node.inputs[0])
            let rin = (maxPoolRules[index] ?? plan.maxPool) == .winnerTakeAll
                ? LayerRules.maxPoolWinnerTakeAll(g, x: x, r: r, input: inL[0], output: outL, ctx: ctx)
                : LayerRules.poolProportional(g, x: x, r: r, sumPooling: true, input: inL[0], output: outL, ctx: ctx)
            add(rin, to: node.inputs[0], &pending, batch: ctx.batch)
        case .averagePool(let g):
            let x = try value(node.inputs[0])
            let rin = LayerRules.poolProportional(g, x: x, r: r, sumPooling: false, input: inL[0], output: outL, ctx: ctx)
            add(rin, to: node.inputs[0], &pending, batch: ctx.batch)
        case .channelAffine(let scale, _):
            let rin = LayerRules.channelAffineEpsilon(scale: scale, x: try value(node.inputs[0]), z: try value(node.output), r: r,
                                                      epsilon: plan.epsilon, layout: outL, ctx: ctx)
            add(rin, to: node.inputs[0], &pending, batch: ctx.batch)
        case .add:
            let (ra, rb) = LayerRules.sumProportional(a: try value(node.inputs[0]), b: try value(node.inputs[1]), r: r,
                                                      layout: outL, ctx: ctx)
            add(ra, to: node.inputs[0], &pending, batch: ctx.batch)
            add(rb, to: node.inputs[1], &pending, batch: ctx.batch)
        case .concat:
            for (k, part) in LayerRules.concat(r, inputs: inL, output: outL, batch: ctx.batch).enumerated() {
                add(part, to: node.inputs[k], &pending, batch: ctx.batch)
            }
        case .pad(let p):
            add(LayerRules.padCrop(p, r: r, input: inL[0], output: outL, batch: ctx.batch), to: node.inputs[0],
                &pending, batch: ctx.batch)
        }
    }

    /// Explains node `index` as part of the cut-off region (DESIGN §2): needs no activations.
    func flatStep(_ index: Int, _ pending: inout Pending, _ ctx: EngineContext) throws {
        let node = graph.nodes[index]
        guard var r = pending.removeValue(forKey: node.output) else { return }
        let inL = node.inputs.map { graph.layouts[$0] }, outL = graph.layouts[node.output]
        if case .full = r, graph.collapsible[node.output] {
            r = .channelSum(r.channelSummed(outL, batch: ctx.batch))
        }
        switch node.op {
        case .mapping(let layer):
            add(try FlatRule().spread(layer, r, ctx), to: node.inputs[0], &pending, batch: ctx.batch)
        case .relu, .clip, .lrn, .softmax, .channelAffine:
            add(r, to: node.inputs[0], &pending, batch: ctx.batch)
        case .alias:
            add(LayerRules.reshape(r, from: outL, to: inL[0], batch: ctx.batch), to: node.inputs[0], &pending, batch: ctx.batch)
        case .maxPool(let g), .averagePool(let g):
            add(LayerRules.poolFlat(g, r: r, input: inL[0], output: outL, ctx: ctx), to: node.inputs[0], &pending,
                batch: ctx.batch)
        case .add:
            let (ra, rb) = LayerRules.sumEqualShares(r)
            add(ra, to: node.inputs[0], &pending, batch: ctx.batch)
            add(rb, to: node.inputs[1], &pending, batch: ctx.batch)
        case .concat:
            for (k, part) in LayerRules.concat(r, inputs: inL, output: outL, batch: ctx.batch).enumerated() {
                add(part, to: node.inputs[k], &pending, batch: ctx.batch)
            }
        case .pad(let p):
            add(LayerRules.padCrop(p, r: r, input: inL[0], output: outL, batch: ctx.batch), to: node.inputs[0],
                &pending, batch: ctx.batch)
        }
    }

    /// Flat steps from node `start` down to node 0, then the input relevance `[N, C, H, W]`.
    func finishFlat(from start: Int, _ pending: Pending, _ ctx: EngineContext) throws -> [Float] {
        var p = pending
        var i = start
        while i >= 0 {
            try flatStep(i, &p, ctx)
            i -= 1
        }
        return inputRelevance(p, batch: ctx.batch)
    }

    func inputRelevance(_ pending: Pending, batch: Int) -> [Float] {
        let layout = graph.layouts[0]
        guard let r = pending[0] else { return [Float](repeating: 0, count: batch * layout.count) }
        return r.array(layout, batch: batch)
    }
}
