import LRPCore

/// The backward pass: walks the prepared graph from the logits down to the input, node by node
/// in reverse topological order, keeping the relevance that has reached each value. A node
/// either keeps its rule (`step(flat: false)`) or, inside the cut-off region, uses its flat
/// treatment; both are the layer's own (`EngineLayer`). A value read by several nodes sums their
/// contributions before its producer is visited (every consumer comes later in topological order).
struct RelevanceWalk {
    let graph: PreparedGraph
    /// The rule of every node, by node index.
    let rules: [NodeRule]
    /// Forward activations, by value index (those the layers declared in `reads`), and the
    /// products the rules kept during the forward pass, by node index.
    let store: KeptValues
    /// When set: per value, the lowest node whose rule step reads it; the walk drops the value
    /// after that step (and every node's products after its step), so kept memory shrinks as
    /// the walk goes down. nil: the pass stays whole (it may be explained again).
    var releaseAt: [Int]?
    /// Check every step's result and name the first layer whose relevance is not finite.
    var diagnose = false

    typealias Pending = [Int: Relevance]

    private func add(_ r: Relevance, to value: Int, _ pending: inout Pending, batch: Int) {
        if let existing = pending[value] {
            pending[value] = Relevance.sum(existing, r, layout: graph.layouts[value], batch: batch)
        } else {
            pending[value] = r
        }
    }

    /// Explains node `index`: with its rule, or (`flat`) as part of the cut-off region
    /// (docs/DESIGN.md §2), where only the channel sum of a collapsible value is carried.
    func step(_ index: Int, flat: Bool, _ pending: inout Pending, _ ctx: EngineContext) throws {
        let node = graph.nodes[index]
        guard var r = pending.removeValue(forKey: node.output) else { return }
        let layouts = graph.layouts(of: node)
        let rule = rules[index]
        let result: [Relevance]
        if flat {
            if case .full = r, graph.collapsible[node.output] {
                r = .channelSum(r.channelSummed(layouts.output, batch: ctx.batch))
            }
            let step = RelevanceStep(name: node.name, inputs: [], output: nil, saved: nil, layouts: layouts,
                                     rule: rule, context: ctx)
            result = try node.layer.flatRelevance(r, step)
        } else {
            let reads = node.layer.reads(rule)
            let inputs = node.inputs.enumerated().map { k, v in reads.readsInput(k) ? store.values[v] : nil }
            let step = RelevanceStep(name: node.name, inputs: inputs,
                                     output: reads.output ? store.values[node.output] : nil,
                                     saved: store.saved[index], layouts: layouts, rule: rule, context: ctx)
            result = try node.layer.relevance(r, step)
            if let releaseAt {
                store.saved[index] = nil
                for v in node.inputs + [node.output] where v != 0 && releaseAt[v] == index { store.values[v] = nil }
            }
        }
        guard result.count == node.inputs.count else {
            throw LRPError("internal error: \(node.name) returned \(result.count) relevances for \(node.inputs.count) inputs")
        }
        if diagnose, result.contains(where: { !$0.isFinite }) { throw nonFinite(node, rule: rule, flat: flat) }
        for (k, part) in result.enumerated() { add(part, to: node.inputs[k], &pending, batch: ctx.batch) }
    }

    /// Flat steps from node `start` down to node 0, then the input relevance `[N, C, H, W]`.
    func finishFlat(from start: Int, _ pending: Pending, _ ctx: EngineContext) throws -> [Float] {
        var p = pending
        var i = start
        while i >= 0 {
            try step(i, flat: true, &p, ctx)
            i -= 1
        }
        return inputRelevance(p, batch: ctx.batch)
    }

    func inputRelevance(_ pending: Pending, batch: Int) -> [Float] {
        let layout = graph.layouts[0]
        guard let r = pending[0] else { return [Float](repeating: 0, count: batch * layout.count) }
        return r.array(layout, batch: batch)
    }

    /// The error for relevance that stops being finite at `node`, with what to change.
    private func nonFinite(_ node: PreparedNode, rule: NodeRule, flat: Bool) -> LRPError {
        var ruleName = flat ? "flat" : "its rule"
        var advice = "check the model's weights and the rule parameters"
        if !flat, case .mapping(let r) = rule {
            ruleName = r.name
            if let ab = r as? AlphaBetaRule.Prepared, ab.beta > 0 {
                advice = "alpha-beta multiplies relevance by up to alpha + beta at every layer and overflowed float32 here; choose a smaller alpha and beta (alpha 2, beta 1 is the usual choice)"
            } else if r.name == "z" {
                advice = "the z rule divides by activations that sum to zero; use an epsilon above 0"
            }
        }
        return LRPError("the relevance is not finite below layer \(node.name) (\(node.onnxOp), \(ruleName)): \(advice)")
    }
}
