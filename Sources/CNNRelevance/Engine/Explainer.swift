import CKernels
import Foundation
import LRPCore

/// The result of a forward pass: logits plus whatever the relevance pass needs.
public struct ForwardPass: @unchecked Sendable {
    public let batchSize: Int
    /// `[N, classes]` output of the graph (pre-softmax).
    public let logits: NDArray
    /// The kept values and products; `explain(…, releasing: true)` empties it as it goes.
    let store: KeptValues
    /// The explainer that produced it (a pass only fits its own graph).
    let owner: ObjectIdentifier
    /// Whether the values the relevance pass reads were kept.
    let explainable: Bool

    init(batchSize: Int, logits: NDArray, values: [FloatBuffer?], saved: [Int: SavedProducts],
         owner: ObjectIdentifier, explainable: Bool) {
        self.batchSize = batchSize
        self.logits = logits
        store = KeptValues(values: values, saved: saved)
        self.owner = owner
        self.explainable = explainable
    }

    /// The values the relevance pass reads, by value index (the input is value 0).
    var values: [FloatBuffer?] { store.values }
    /// Products kept by the rules (alpha-beta's `[w⁺x; w⁻x]`, z-plus's `w⁺x`), by node index.
    var saved: [Int: SavedProducts] { store.saved }
}

/// What a forward pass kept for the relevance pass. A releasing walk drops each value once it
/// has passed the value's last reader (docs/DESIGN.md §2.7), so the memory of a batch shrinks
/// as its relevance is computed; the input (value 0) is always kept.
final class KeptValues: @unchecked Sendable {
    var values: [FloatBuffer?]
    var saved: [Int: SavedProducts]
    /// Set once a releasing walk has started: the pass cannot be explained again.
    var released = false

    init(values: [FloatBuffer?], saved: [Int: SavedProducts]) {
        self.values = values
        self.saved = saved
    }
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
/// Built once per model and plan: it checks the graph (`ForwardModel`), asks the composite for
/// every node's rule and prepares the rules (modified weights). `forward` and `explain` keep no
/// state between calls and may run concurrently.
public final class Explainer: @unchecked Sendable {
    public let graph: Graph
    public let plan: RulePlan
    let model: ForwardModel
    let cutOff: CutOff
    /// The rule of every node, by node index.
    let rules: [NodeRule]
    /// Values the relevance pass reads (kept by an explanation forward pass).
    let keep: [Bool]
    /// Per value, the lowest node whose rule step reads it (`Int.max`: none): a releasing walk
    /// drops the value after that step.
    let releaseAt: [Int]
    /// Budget of a relevance step's temporaries (`SampleChunks`); tests lower it to force chunks.
    var relevanceChunkFloats = SampleChunks.defaultBudget

    var prepared: PreparedGraph { model.prepared }

    /// - Throws: `LRPError` if the graph contains something the plan cannot explain.
    public init(graph: Graph, plan: RulePlan) throws {
        self.graph = graph
        self.plan = plan
        model = try ForwardModel(graph: graph)
        cutOff = CutOff(graph: graph)
        let composite = try Composite(plan: plan)
        try composite.validate(against: graph)
        var rules: [NodeRule] = []
        var number = 0
        for node in model.prepared.nodes {
            let isMapping = node.layer is MappingLayer
            if isMapping { number += 1 }
            rules.append(try node.layer.assignRule(composite, number: isMapping ? number : nil, node: node.shapes))
        }
        self.rules = rules
        keep = ForwardRunner.valuesRead(model.prepared, rules: rules)
        var releaseAt = Array(repeating: Int.max, count: model.prepared.shapes.count)
        for node in model.prepared.nodes {
            let reads = node.layer.reads(rules[node.index])
            for (k, v) in node.inputs.enumerated() where reads.readsInput(k) { releaseAt[v] = min(releaseAt[v], node.index) }
            if reads.output { releaseAt[node.output] = min(releaseAt[node.output], node.index) }
        }
        self.releaseAt = releaseAt
    }

    /// Number of mapping (conv/linear) layers; `--cutoff` accepts `0...mappingLayerCount`.
    public var mappingLayerCount: Int { cutOff.maximum }

    /// The mapping layers in the order `--cutoff` counts them, with their rules.
    public var mappingLayers: [MappingLayerInfo] {
        prepared.mappingLayers.enumerated().map { k, l in
            var rule = "?"
            if case .mapping(let r) = rules[l.nodeIndex] { rule = r.name }
            return MappingLayerInfo(number: k + 1, nodeIndex: l.nodeIndex, name: l.name, rule: rule)
        }
    }

    /// Names of the mapping layers whose input had negative values in `pass` (a pass that kept
    /// the products): their alpha-beta and z-plus steps form the products of x⁺ and x⁻ apart,
    /// more GEMMs than for a non-negative input (`lrp-bench`'s GEMM floor counts them).
    public func layersWithNegativeInput(_ pass: ForwardPass) -> Set<String> {
        Set(prepared.mappingLayers.filter { pass.saved[$0.nodeIndex]?.negative != nil }.map(\.name))
    }

    /// Number of classes (logits) the model outputs.
    public var classCount: Int { prepared.classes }

    /// Forward pass on an `[N, C, H, W]` input matching `graph.inputShape`.
    ///
    /// - Parameter forExplanation: keep what the relevance pass reads: the activations its rules
    ///   need, and for alpha-beta layers `w⁺x` and `w⁻x`. With `false` only the logits are kept
    ///   and the pass cannot be explained (`ForwardModel.logits` does the same without a plan).
    /// - Parameter keepProducts: with `false` the rules' products of the input (alpha-beta's
    ///   `[w⁺x; w⁻x]`, z-plus's `w⁺x`) are not kept but formed by the relevance step of each
    ///   layer from its kept input: the same FLOPs (the forward pass then computes only `wx + b`)
    ///   and the same results, without holding every layer's products at once (`lrp-cnn explain`).
    public func forward(_ input: NDArray, forExplanation: Bool = true, keepProducts: Bool = true) throws -> ForwardPass {
        let (logits, values, saved) = forExplanation
            ? try model.run(input, rules: rules, keep: keep, keepProducts: keepProducts)
            : try model.run(input, rules: model.plainRules, keep: model.logitsOnly)
        return ForwardPass(batchSize: logits.shape[0], logits: logits, values: values, saved: saved,
                           owner: ObjectIdentifier(self), explainable: forExplanation)
    }

    /// Input relevance `[N, C, H, W]` for one target class per sample, starting from
    /// `one-hot(target) × logit`, with cut-off `cutoff` (0 = none; docs/DESIGN.md §2).
    public func explain(_ pass: ForwardPass, targets: [Int], cutoff: Int) throws -> NDArray {
        try explain(pass, targets: targets, cutoffs: [cutoff])[0]
    }

    /// One input relevance per cut-off, sharing the forward pass (`--cutoff all`).
    ///
    /// The layers above a cut-off keep their rules for every K, so the backward pass runs once
    /// from the logits down; at the boundary of each requested K the relevance reached so far
    /// is handed to a flat walk down to the input. Flat walks are cheap (they carry one spatial
    /// map per sample once a single-group layer has been passed) and run in parallel.
    ///
    /// - Parameter releasing: drop each kept value and product as soon as the walk has passed
    ///   its last reader, so the batch's memory shrinks while its relevance is computed (what
    ///   `lrp-cnn explain` does). The pass cannot be explained again afterwards.
    public func explain(_ pass: ForwardPass, targets: [Int], cutoffs: [Int], releasing: Bool = false) throws -> [NDArray] {
        guard !pass.store.released else {
            throw LRPError("the forward pass was already explained with releasing: true and cannot be explained again")
        }
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
        try cutOff.check(cutoffs)
        if cutoffs.isEmpty { return [] }
        let ks = Array(Set(cutoffs)).sorted()
        if releasing { pass.store.released = true }
        let (results, finite) = try relevances(pass, targets: targets, cutoffs: ks, diagnose: false, releasing: releasing)
        // The valid path only checks each finished map (in the worker that made it); a
        // non-finite one pays for the diagnosis, a second walk that checks every step (on a
        // new forward pass from the kept input if the first walk released the values).
        if !finite {
            var again = pass
            if releasing, let x = pass.store.values[0] {
                again = try forward(NDArray(shape: [batch] + prepared.inputShape, data: x.array))
            }
            _ = try relevances(again, targets: targets, cutoffs: ks, diagnose: true, releasing: false)
            throw LRPError("the relevance is not finite (the model's values overflow float32)")
        }
        let shape = [batch] + prepared.inputShape
        let byK = Dictionary(uniqueKeysWithValues: zip(ks, results))
        return cutoffs.map { NDArray(shape: shape, data: byK[$0]!) }
    }

    /// The input relevance for each of the sorted cut-offs `ks`; with `diagnose` every step's
    /// result is checked and the first non-finite one is an error naming its layer.
    private func relevances(_ pass: ForwardPass, targets: [Int], cutoffs ks: [Int], diagnose: Bool,
                            releasing: Bool) throws -> (maps: [[Float]], finite: Bool) {
        let batch = pass.batchSize
        var walk = RelevanceWalk(graph: prepared, rules: rules, store: pass.store)
        walk.diagnose = diagnose
        if releasing { walk.releaseAt = releaseAt }
        let ctx = EngineContext(batch: batch, workspace: Workspace(), serial: false, chunkFloats: relevanceChunkFloats)
        var pending: RelevanceWalk.Pending = [prepared.logitValue: initialRelevance(pass, targets: targets)]

        // Shared part: normal rules from the top down to the lowest requested boundary,
        // remembering the state at each boundary.
        var snapshots: [Int: RelevanceWalk.Pending] = [:]
        var index = prepared.nodes.count - 1
        let lowest = ks.map(cutOff.boundary).min()!
        for k in ks where cutOff.boundary(k) == prepared.nodes.count { snapshots[k] = pending }
        while index >= lowest {
            try walk.step(index, flat: false, &pending, ctx)
            for k in ks where cutOff.boundary(k) == index { snapshots[k] = pending }
            index -= 1
        }
        pending = [:]
        // The flat walks read no forward values: a releasing walk keeps only the input.
        if releasing {
            for v in 1..<pass.store.values.count { pass.store.values[v] = nil }
            pass.store.saved = [:]
        }

        // Flat parts: one walk per cut-off, in parallel over the cut-offs.
        var results = [[Float]?](repeating: nil, count: ks.count)
        var finite = true
        func isFinite(_ r: [Float]) -> Bool { r.withUnsafeBufferPointer { lrp_all_finite($0.baseAddress, $0.count) != 0 } }
        if ks.count == 1 {
            let r = try walk.finishFlat(from: cutOff.boundary(ks[0]) - 1, snapshots[ks[0]]!, ctx)
            results[0] = r
            finite = isFinite(r)
        } else {
            let lock = NSLock()
            var failure: Error?
            let jobs = ks.map { (cutOff.boundary($0) - 1, snapshots[$0]!) }
            snapshots = [:]
            Parallel.forEach(jobs.count) { j in
                let serial = EngineContext(batch: batch, workspace: Workspace(slots: 1), serial: true,
                                           chunkFloats: relevanceChunkFloats)
                do {
                    let r = try walk.finishFlat(from: jobs[j].0, jobs[j].1, serial)
                    let ok = isFinite(r)
                    lock.lock(); results[j] = r; finite = finite && ok; lock.unlock()
                } catch {
                    lock.lock(); failure = failure ?? error; lock.unlock()
                }
            }
            if let failure { throw failure }
        }
        return (results.map { $0! }, finite)
    }

    /// `one-hot(target) × logit` for every sample.
    private func initialRelevance(_ pass: ForwardPass, targets: [Int]) -> Relevance {
        let c = prepared.classes
        let r = FloatBuffer(zeros: pass.batchSize * c)
        for (n, t) in targets.enumerated() { r[n * c + t] = pass.logits.data[n * c + t] }
        return .full(r)
    }
}
