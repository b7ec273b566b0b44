import Foundation
import LRPCore

/// Everything an explanation run needs besides the model and the inputs.
public struct ExplainSettings: Sendable {
    public var plan: RulePlan
    /// Cut-offs to explain at. More than one (a sweep) gives one file set per cut-off, named
    /// with the variant `cutoff-K`.
    public var cutoffs: [Int]
    public var isSweep: Bool
    public var target: TargetChoice
    public var labels: ClassLabels?
    public var preprocessing: Preprocessing
    public var colormap: Colormap
    public var batchSize: Int
    public var outputDirectory: URL
    /// Shown in the JSON summary (the model path).
    public var modelName: String
    /// The files written per image and cut-off (default: all five).
    public var outputs: ExplanationOutputs

    public init(plan: RulePlan, cutoffs: [Int], isSweep: Bool, target: TargetChoice, labels: ClassLabels?,
                preprocessing: Preprocessing, colormap: Colormap, batchSize: Int, outputDirectory: URL, modelName: String,
                outputs: ExplanationOutputs = .all) {
        self.plan = plan
        self.cutoffs = cutoffs
        self.isSweep = isSweep
        self.target = target
        self.labels = labels
        self.preprocessing = preprocessing
        self.colormap = colormap
        self.batchSize = batchSize
        self.outputDirectory = outputDirectory
        self.modelName = modelName
        self.outputs = outputs
    }
}

/// What one explained sample produced, for the executable to report.
public struct ExplainedSample: Sendable {
    public var source: URL
    public var sampleIndex: Int?
    public var stem: String
    public var target: Prediction
    /// Σ input relevance per cut-off (same order as `ExplainSettings.cutoffs`).
    public var relevanceSums: [Float]
    public var files: [URL]
}

/// Runs `explain` over many inputs in batches: the forward pass is shared by the batch and by
/// all cut-offs of a sweep. Each sample's files are written only once all its explanations are
/// computed; a bad input fails alone (docs/DESIGN.md §7.5).
public final class ExplainRun {
    public let graph: Graph
    public let settings: ExplainSettings
    private let explainer: Explainer
    private let fixedTarget: Int?

    /// - Throws: `LRPError` for cut-offs out of range, a bad target, or a plan the graph cannot use.
    ///   Messages start with the value concerned ("cut-off 9 out of range ...", "batch size ...").
    public init(graph: Graph, settings: ExplainSettings) throws {
        let maxK = graph.mappingLayerCount
        guard !settings.cutoffs.isEmpty else { throw LRPError("no cut-off given") }
        if let bad = settings.cutoffs.first(where: { $0 < 0 || $0 > maxK }) {
            throw LRPError("cut-off \(bad) out of range: this model has \(maxK) conv/linear layers (0...\(maxK))")
        }
        guard settings.batchSize >= 1 else { throw LRPError("batch size must be at least 1, got \(settings.batchSize)") }
        self.graph = graph
        self.settings = settings
        self.fixedTarget = try settings.target.resolve(graph: graph, labels: settings.labels)
        self.explainer = try Explainer(graph: graph, plan: settings.plan)
    }

    /// Explains every source; `onSample` is called after each sample's files are written, in
    /// input order. Decoding, explaining and writing overlap (`ExplainPipeline.swift`). A source
    /// that fails (unreadable, wrong shape, a non-finite result, a failed write) goes to
    /// `onFailure`, in its place in the input order, and the run goes on with the others unless
    /// the handler throws (docs/DESIGN.md §7.5); each sample's output is all its sets or nothing.
    public func run(_ sources: [InputSource], onFailure: ItemFailureHandler = stopAtFirstFailure,
                    onSample: (ExplainedSample) throws -> Void) throws {
        guard !sources.isEmpty else { throw LRPError("no input images given") }
        try runPipelined(sources, onFailure: onFailure, onSample: onSample)
    }

    /// One batch after the forward and relevance passes, ready to be written.
    struct ComputedBatch: @unchecked Sendable {
        var inputs: [PreparedInput]
        var rows: [ArraySlice<Float>]
        var targets: [Int]
        var relevances: [NDArray]
        var classes: Int
        /// Forward + relevance time per sample.
        var seconds: Double
    }

    /// The forward pass and every cut-off's relevance of one batch.
    func compute(_ inputs: [PreparedInput]) throws -> ComputedBatch {
        let start = Date()
        let pass = try explainer.forward(InputPreparation.batch(inputs, graph: graph), keepProducts: false)
        let classes = pass.logits.shape.last ?? 0
        let rows = (0..<inputs.count).map { n in pass.logits.data[n * classes..<(n + 1) * classes] }
        let targets = rows.map { row in fixedTarget ?? Ranking.top(row, k: 1, graph: graph, labels: nil)[0].outputIndex }
        let relevances = try explainer.explain(pass, targets: targets, cutoffs: settings.cutoffs, releasing: true)
        let seconds = Date().timeIntervalSince(start) / Double(inputs.count)
        return ComputedBatch(inputs: inputs, rows: rows, targets: targets, relevances: relevances, classes: classes,
                             seconds: seconds)
    }

    /// Renders and writes a computed batch, each sample's sets all or nothing: a sample that
    /// fails leaves no file and does not stop the others. `stems` are the samples' file stems,
    /// in order; the outcomes come back in the same order. Samples are written in parallel, so
    /// that the last batch's files do not wait on one core after the engine has finished.
    func write(_ b: ComputedBatch, stems: [String]) -> [(source: URL, outcome: Result<ExplainedSample, Error>)] {
        let outcomes = ParallelSlots<Result<ExplainedSample, Error>>(count: b.inputs.count)
        Parallel.forEach(b.inputs.count) { n in outcomes.set(n, Result { try writeSample(n, of: b, stem: stems[n]) }) }
        return zip(b.inputs, outcomes.all()).map { input, outcome in
            (input.source, outcome ?? .failure(LRPError("internal: a parallel task did not finish")))
        }
    }

    /// Renders and writes the sets of sample `n` of a batch (all or nothing).
    private func writeSample(_ n: Int, of b: ComputedBatch, stem: String) throws -> ExplainedSample {
        let input = b.inputs[n]
        let per = graph.inputShape.reduce(1, *)
        let (c, h, w) = (graph.inputShape[0], graph.inputShape[1], graph.inputShape[2])
        let plane = h * w
        let ranking = Ranking.top(b.rows[n], k: 5, graph: graph, labels: settings.labels)
        guard b.rows[n].indices.contains(b.rows[n].startIndex + b.targets[n]) else {
            throw LRPError("internal: target \(b.targets[n]) not among the outputs")
        }
        let target = Ranking.prediction(b.targets[n], of: b.rows[n], graph: graph, labels: settings.labels)
        var sets: [ExplanationSet] = []
        var sums: [Float] = []
        for (k, cutoff) in settings.cutoffs.enumerated() {
            let r = b.relevances[k]
            guard r.count == b.inputs.count * per else { throw LRPError("internal: relevance of unexpected size") }
            let rel = NDArray(shape: [c, h, w], data: Array(r.data[n * per..<(n + 1) * per]))
            var map = [Float](repeating: 0, count: plane)
            rel.data.withUnsafeBufferPointer { src in
                map.withUnsafeMutableBufferPointer { dst in
                    for ch in 0..<c { for i in 0..<plane { dst[i] += src[ch * plane + i] } }
                }
            }
            let sum = rel.data.reduce(0, +)
            sums.append(sum)
            let files = ExplanationFiles(directory: settings.outputDirectory, stem: stem,
                                         variant: settings.isSweep ? "cutoff-\(cutoff)" : nil)
            let summary = self.summary(input, ranking: ranking, target: target, relevanceSum: sum, cutoff: cutoff,
                                       seconds: b.seconds, batch: b.inputs.count, stem: stem, files: files)
            sets.append(ExplanationSet(files: files, heatmap: NDArray(shape: [h, w], data: map), relevance: rel,
                                       picture: input.picture, summary: summary))
        }
        // A sample's output is all its sets or nothing (earlier samples stay complete).
        let written = try ExplanationWriter(colormap: settings.colormap, outputs: settings.outputs).write(sets)
        return ExplainedSample(source: input.source, sampleIndex: input.sampleIndex, stem: stem, target: target,
                               relevanceSums: sums, files: written)
    }

    static func stems(for inputs: [PreparedInput], taken: inout Set<String>) -> [String] {
        inputs.map { stem(for: $0, taken: &taken) }
    }

    private static func stem(for input: PreparedInput, taken: inout Set<String>) -> String {
        guard let i = input.sampleIndex else { return ExplanationFiles.stem(for: input.source, taken: &taken) }
        return ExplanationFiles.unique(input.source.deletingPathExtension().lastPathComponent + "-\(i)", taken: &taken)
    }

    private func summary(_ input: PreparedInput, ranking: [Prediction], target: Prediction, relevanceSum: Float,
                         cutoff: Int, seconds: Double, batch: Int, stem: String, files: ExplanationFiles) -> [String: Any] {
        let mapping = graph.nodes.filter { $0.op.isMapping }
        var inputInfo: [String: Any] = ["shape": graph.inputShape]
        switch input.source.pathExtension.lowercased() {
        case "npy":
            inputInfo["npy"] = input.source.path
            if let i = input.sampleIndex { inputInfo["sample"] = i }
            inputInfo["overlayPictureFrom"] = settings.preprocessing.preset.rawValue
        default:
            inputInfo["preprocessing"] = settings.preprocessing.summary
        }
        var s: [String: Any] = [
            "source": input.source.path,
            "model": settings.modelName,
            "input": inputInfo,
            "predictions": ranking.map(\.json),
            "target": target.json,
            "logit": target.logit,
            "relevanceSum": relevanceSum,
            "rules": settings.plan.summary,
            "cutoff": cutoff,
            "cutoffLayer": cutoff > 0 ? mapping[cutoff - 1].name : NSNull(),
            "mappingLayers": mapping.count,
            "timeSeconds": seconds,
            "timeNote": "forward + relevance of the batch divided by its size (all cut-offs of a sweep together)",
            "batchSize": batch,
            "outputSoftmaxRemoved": graph.removedOutputSoftmax,
            "files": settings.outputs.suffixes.map { files.url($0).lastPathComponent },
        ]
        if let classes = graph.outputClasses { s["classes"] = classes }
        return s
    }
}
