import CKernels
import LRPCore

/// Element-wise sum of two values of the same shape (residual connection). Relevance:
/// proportional to the summands, `R_a = a/(a+b)·R`, stabilised (zennit's `Norm` on `Sum`);
/// equal shares in the cut-off region.
struct AddKind: LayerKind, EngineLayer {
    var category: LayerCategory? { .residualSum }
    var summary: String { "add" }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField { .union(inputs) }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        try io.expectInputs(2)
        let ins = io.inputs
        guard ins[0] == ins[1], ins[0].reduce(1, *) == io.output.reduce(1, *) else {
            throw LRPError("\(io.label): adding \(ins[0]) and \(ins[1]) (broadcasting is not supported)")
        }
        return self
    }

    func reads(_ rule: NodeRule) -> ValuesRead { .all(inputs: 2) }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let a = step.inputs[0], b = step.inputs[1], y = step.newOutput()
        step.context.elementwise(y.count) { o, n in lrp_add(a.pointer + o, b.pointer + o, y.pointer + o, n) }
        return (y, nil)
    }

    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        let a = try step.input(0), b = try step.input(1)
        let R = r.materialized(step.layouts.output, batch: step.batch)
        let ra = FloatBuffer(count: R.count), rb = FloatBuffer(count: R.count)
        let s = RulePlan.stabilizer
        step.context.elementwise(R.count) { o, n in
            lrp_sum_split(a.pointer + o, b.pointer + o, R.pointer + o, s, ra.pointer + o, rb.pointer + o, n)
        }
        return [.full(ra), .full(rb)]
    }

    func flatRelevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        let half = r.scaled(0.5)
        return [half, half]
    }

    func collapsible(_ inputs: [Bool], _ step: LayoutStep) -> Bool { inputs.allSatisfy { $0 } }
}
