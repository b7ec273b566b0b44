// CONTRACT STUB (lead): see Rules/RulePlan.swift. The engine engineer implements it.
import LRPCore

/// The result of a forward pass: logits plus whatever the relevance pass needs.
public struct ForwardPass: @unchecked Sendable {
    public let batchSize: Int
    /// `[N, classes]` output of the graph (pre-softmax).
    public let logits: NDArray
}

/// Runs a canonical `Graph` forward and explains it with a `RulePlan` at a chosen cut-off.
public final class Explainer: @unchecked Sendable {
    public let graph: Graph
    public let plan: RulePlan

    /// - Throws: `LRPError` if the graph contains something the plan cannot explain.
    public init(graph: Graph, plan: RulePlan) throws {
        self.graph = graph
        self.plan = plan
    }

    /// Number of mapping (conv/linear) layers; `--cutoff` accepts `0...mappingLayerCount`.
    public var mappingLayerCount: Int { graph.nodes.filter { $0.op.isMapping }.count }

    /// Forward pass on an `[N, C, H, W]` input matching `graph.inputShape`.
    public func forward(_ input: NDArray) throws -> ForwardPass {
        throw LRPError("engine not implemented yet")
    }

    /// Input relevance `[N, C, H, W]` for one target class per sample, starting from
    /// `one-hot(target) × logit`, with cut-off `cutoff` (0 = none; DESIGN §2).
    public func explain(_ pass: ForwardPass, targets: [Int], cutoff: Int) throws -> NDArray {
        throw LRPError("engine not implemented yet")
    }

    /// One input relevance per cut-off, sharing the forward pass (`--cutoff all`).
    public func explain(_ pass: ForwardPass, targets: [Int], cutoffs: [Int]) throws -> [NDArray] {
        try cutoffs.map { try explain(pass, targets: targets, cutoff: $0) }
    }
}
