import CKernels
import Foundation
import LRPCore

/// A checked model that runs forward: what `predict` and `eval` need, no rule plan.
/// `Explainer` adds the rules and the relevance pass on top of one.
public final class ForwardModel: @unchecked Sendable {
    public let graph: Graph
    let prepared: PreparedGraph

    /// - Throws: `LRPError` naming the layer if the graph is inconsistent or has a layer the
    ///   engine cannot run.
    public init(graph: Graph) throws {
        BLASThreads.apply()  // parallelism comes from WorkSplit, not from BLAS
        self.graph = graph
        prepared = try PreparedGraph(graph)
    }

    /// Number of classes (logits) the model outputs.
    public var classCount: Int { prepared.classes }

    /// Logits `[N, classes]` of an `[N, C, H, W]` input matching `graph.inputShape`.
    public func logits(_ input: NDArray) throws -> NDArray {
        try run(input, rules: plainRules, keep: logitsOnly).logits
    }

    /// No rule for any node: plain forward computations.
    var plainRules: [NodeRule] { Array(repeating: .none, count: prepared.nodes.count) }

    /// Keeps only the logits.
    var logitsOnly: [Bool] {
        var keep = Array(repeating: false, count: prepared.shapes.count)
        keep[prepared.logitValue] = true
        return keep
    }

    /// Runs the graph forward under `rules`, keeping the values marked in `keep`.
    func run(_ input: NDArray, rules: [NodeRule], keep: [Bool], keepProducts: Bool = true) throws
        -> (logits: NDArray, values: [FloatBuffer?], saved: [Int: SavedProducts]) {
        let expected = prepared.inputShape
        guard input.shape.count == 4, input.shape[0] >= 1, Array(input.shape[1...]) == expected else {
            throw LRPError("input shape \(input.shape) does not match the model input [N, \(expected.map(String.init).joined(separator: ", "))]")
        }
        if let bad = input.data.firstIndex(where: { !$0.isFinite }) {
            throw LRPError("the input contains a non-finite value (\(input.data[bad])) at flat index \(bad)")
        }
        let batch = input.shape[0]
        let ctx = EngineContext(batch: batch, workspace: Workspace(), serial: false)
        var runner = ForwardRunner(graph: prepared, rules: rules, keep: keep)
        runner.keepProducts = keepProducts
        let (values, saved) = try runner.run(input: FloatBuffer(input.data), batch: batch, context: ctx)
        let logits = NDArray(shape: [batch, prepared.classes], data: values[prepared.logitValue]!.array)
        if !logits.data.allSatisfy(\.isFinite) { throw nonFinite(input, batch: batch) }
        return (logits, values, saved)
    }

    /// Runs the pass again keeping every value and names the first layer whose output is not
    /// finite (only reached when the logits are not).
    private func nonFinite(_ input: NDArray, batch: Int) -> LRPError {
        let ctx = EngineContext(batch: batch, workspace: Workspace(), serial: false)
        let keepAll = Array(repeating: true, count: prepared.shapes.count)
        let runner = ForwardRunner(graph: prepared, rules: plainRules, keep: keepAll)
        if let (values, _) = try? runner.run(input: FloatBuffer(input.data), batch: batch, context: ctx) {
            for node in prepared.nodes {
                guard let v = values[node.output] else { continue }
                if lrp_all_finite(v.pointer, v.count) == 0 {
                    return LRPError("the model's output is not finite: layer \(node.name) (\(node.onnxOp)) overflows float32 on this input")
                }
            }
        }
        return LRPError("the model's output is not finite on this input")
    }
}
