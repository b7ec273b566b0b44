// Public API shared by the engine and the CLI (contract by the lead; signatures kept, API added).
import CKernels
import Foundation
import LRPCore

/// The result of a forward pass: logits plus whatever the relevance pass needs.
public struct ForwardPass: @unchecked Sendable {
    public let batchSize: Int
    /// `[N, classes]` output of the graph (pre-softmax).
    public let logits: NDArray
    /// Every value of the graph for the whole batch (the relevance pass reads them).
    let values: [FloatBuffer?]
    /// Products kept by the rules (alpha-beta's `[w⁺x; w⁻x]`), by node index.
    let saved: [Int: SavedProducts]
    /// The explainer that produced it (a pass only fits its own graph).
    let owner: ObjectIdentifier
    /// Whether the values the relevance pass reads were kept.
    let explainable: Bool
}

/// One convolution or linear layer as `--cutoff` counts it.
public struct MappingLayerInfo: Sendable {
    /// 1-based position among the mapping layers: `--cutoff k` makes layers 1...k flat.
    public let number: Int
    /// Index of the node in `Graph.nodes`.
    public let nodeIndex: Int
    public let name: String
    /// Rule of the layer outside the cut-off region, e.g. "flat", "alpha-beta(2.0,1.0)".
    public let rule: String
}

/// Runs a canonical `Graph` forward and explains it with a `RulePlan` at a chosen cut-off.
///
/// Built once per model and plan: it checks the graph, assigns every mapping layer its rule
/// (`Composite`) and precomputes the modified weights the rules need. `forward` and `explain`
/// keep no state between calls and may run concurrently.
public final class Explainer: @unchecked Sendable {
    public let graph: Graph
    public let plan: RulePlan
    let prepared: PreparedGraph
    let cutOff: CutOff
    let rules: [Int: MappingRule]
    /// Rule of every max-pooling node outside the cut-off region, by node index.
    let maxPoolRules: [Int: MaxPoolRule]
    /// Values the relevance pass reads (kept by an explanation forward pass).
    let keep: [Bool]

    /// - Throws: `LRPError` if the graph contains something the plan cannot explain.
    public init(graph: Graph, plan: RulePlan) throws {
        lrp_blas_set_threads(1)
        self.graph = graph
        self.plan = plan
        prepared = try PreparedGraph(graph)
        cutOff = CutOff(graph: graph)
        let composite = try Composite(plan: plan)
        try composite.validate(against: graph)
        var rules: [Int: MappingRule] = [:]
        for (k, layer) in prepared.mappingLayers.enumerated() {
            let rule = composite.mappingRule(number: k + 1, name: layer.name, isLinear: layer.isLinear,
                                             inputChannels: layer.input.channels)
            try rule.prepare(layer)
            rules[layer.nodeIndex] = rule
        }
        self.rules = rules
        maxPoolRules = prepared.nodes.reduce(into: [:]) { m, n in
            if case .maxPool = n.op { m[n.index] = composite.maxPoolRule(name: n.name) }
        }
        keep = ForwardRunner.valuesRead(prepared, rules: rules, plan: plan)
    }

    /// Number of mapping (conv/linear) layers; `--cutoff` accepts `0...mappingLayerCount`.
    public var mappingLayerCount: Int { cutOff.maximum }

    /// The mapping layers in the order `--cutoff` counts them, with their rules.
    public var mappingLayers: [MappingLayerInfo] {
        prepared.mappingLayers.enumerated().map { k, l in
            MappingLayerInfo(number: k + 1, nodeIndex: l.nodeIndex, name: l.name, rule: rules[l.nodeIndex]?.name ?? "?")
        }
    }

    /// Number of classes (logits) the model outputs.
    public var classCount: Int { prepared.classes }

    /// Forward pass on an `[N, C, H, W]` input matching `graph.inputShape`.
    ///
    /// - Parameter forExplanation: keep what the relevance pass reads: the activations its rules
    ///   need, and for alpha-beta layers `w⁺x` and `w⁻x`, computed instead of `wx` (twice a plain
    ///   forward's work on those layers, which the relevance pass then saves). With `false` only
    ///   the logits are kept and the pass cannot be explained (`predict`).
    public func forward(_ input: NDArray, forExplanation: Bool = true) throws -> ForwardPass {
        let expected = prepared.inputShape
        guard input.shape.count == 4, input.shape[0] >= 1, Array(input.shape[1...]) == expected else {
            throw LRPError("input shape \(input.shape) does not match the model input [N, \(expected.map(String.init).joined(separator: ", "))]")
        }
        if let bad = input.data.firstIndex(where: { !$0.isFinite }) {
            throw LRPError("the input contains a non-finite value (\(input.data[bad])) at flat index \(bad)")
        }
        let batch = input.shape[0]
        let ctx = EngineContext(batch: batch, workspace: Workspace(), serial: false)
        var logitsOnly = Array(repeating: false, count: prepared.shapes.count)
        logitsOnly[prepared.logitValue] = true
        let runner = ForwardRunner(graph: prepared, rules: forExplanation ? rules : [:],
                                   keep: forExplanation ? keep : logitsOnly)
        let (values, saved) = try runner.run(input: FloatBuffer(input.data), batch: batch, context: ctx)
        let logitBuffer = values[prepared.logitValue]!
        let logits = NDArray(shape: [batch, prepared.classes], data: logitBuffer.array)
        return ForwardPass(batchSize: batch, logits: logits, values: values, saved: saved, owner: ObjectIdentifier(self),
                           explainable: forExplanation)
    }

    /// Input relevance `[N, C, H, W]` for one target class per sample, starting from
    /// `one-hot(target) × logit`, with cut-off `cutoff` (0 = none; DESIGN §2).
    public func explain(_ pass: ForwardPass, targets: [Int], cutoff: Int) throws -> NDArray {
        try explain(pass, targets: targets, cutoffs: [cutoff])[0]
    }

    /// One input relevance per cut-off, sharing the forward pass (`--cutoff all`).
    ///
    /// The layers above a cut-off keep their rules for every K, so the backward pass runs once
    /// from the logits down; at the boundary of each requested K the relevance reached so far
    /// is handed to a flat walk down to the input. Flat walks are cheap (they carry one spatial
    /// map per sample once a single-group layer has been passed) and run in parallel.
    public func explain(_ pass: ForwardPass, targets: [Int], cutoffs: [Int]) throws -> [NDArray] {
        guard pass.owner == ObjectIdentifier(self), pass.values.count == prepared.shapes.count else {
            throw LRPError("the forward pass was computed by a different explainer")
        }
        guard pass.explainable else {
            throw LRPError("the forward pass was run with forExplanation: false and cannot be explained")
        }
        let batch = pass.batchSize
        guard targets.count == batch else {
            throw LRPError("\(targets.count) target(s) given for a batch of \(batch)")
        }
        for t in targets where t < 0 || t >= prepared.classes {
            throw LRPError("target \(t) is out of range: the model has \(prepared.classes) classes (0...\(prepared.classes - 1))")
        }
        for k in cutoffs where k < 0 || k > mappingLayerCount {
            throw LRPError("cut-off \(k) is out of range: the model has \(mappingLayerCount) convolution/linear layers (0...\(mappingLayerCount))")
        }
        if cutoffs.isEmpty { return [] }

        let walk = RelevanceWalk(graph: prepared, rules: rules, plan: plan, maxPoolRules: maxPoolRules,
                                 values: pass.values, saved: pass.saved)
        let ctx = EngineContext(batch: batch, workspace: Workspace(), serial: false)
        var pending: RelevanceWalk.Pending = [prepared.logitValue: initialRelevance(pass, targets: targets)]

        // Shared part: normal rules from the top down to the lowest requested boundary,
        // remembering the state at each boundary.
        let ks = Array(Set(cutoffs)).sorted()
        var snapshots: [Int: RelevanceWalk.Pending] = [:]
        var index = prepared.nodes.count - 1
        let lowest = ks.map(cutOff.boundary).min()!
        for k in ks where cutOff.boundary(k) == prepared.nodes.count { snapshots[k] = pending }
        while index >= lowest {
            try walk.normalStep(index, &pending, ctx)
            for k in ks where cutOff.boundary(k) == index { snapshots[k] = pending }
            index -= 1
        }
        pending = [:]

        // Flat parts: one walk per cut-off, in parallel over the cut-offs.
        var results = [[Float]?](repeating: nil, count: ks.count)
        if ks.count == 1 {
            results[0] = try walk.finishFlat(from: cutOff.boundary(ks[0]) - 1, snapshots[ks[0]]!, ctx)
        } else {
            let lock = NSLock()
            var failure: Error?
            let jobs = ks.map { (cutOff.boundary($0) - 1, snapshots[$0]!) }
            snapshots = [:]
            Parallel.forEach(jobs.count) { j in
                let serial = EngineContext(batch: batch, workspace: Workspace(slots: 1), serial: true)
                do {
                    let r = try walk.finishFlat(from: jobs[j].0, jobs[j].1, serial)
                    lock.lock(); results[j] = r; lock.unlock()
                } catch {
                    lock.lock(); failure = failure ?? error; lock.unlock()
                }
            }
            if let failure { throw failure }
        }
        let shape = [batch] + prepared.inputShape
        let byK = Dictionary(uniqueKeysWithValues: zip(ks, results.map { $0! }))
        return cutoffs.map { NDArray(shape: shape, data: byK[$0]!) }
    }

    /// `one-hot(target) × logit` for every sample.
    private func initialRelevance(_ pass: ForwardPass, targets: [Int]) -> Relevance {
        let c = prepared.classes
        let r = FloatBuffer(zeros: pass.batchSize * c)
        for (n, t) in targets.enumerated() { r[n * c + t] = pass.logits.data[n * c + t] }
        return .full(r)
    }
}
