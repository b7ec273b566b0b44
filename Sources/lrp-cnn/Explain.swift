import ArgumentParser
import CLISupport
import CNNRelevance
import Foundation
import LRPCore

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the model's decision for images: relevance maps, heatmaps, overlays and a JSON summary per image.")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "JPEG or PNG images.")
    var images: [String] = []

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Rule preset: epsilon, alpha2beta1, epsilon-plus-flat, epsilon-alpha2beta1-flat.")
    var preset: RulePreset = .epsilonPlusFlat

    // Numeric options take the next argument even if it starts with '-' ("--target -1" gets the
    // range error, not "missing value").
    @Option(parsing: .unconditional, help: "Epsilon of the epsilon rule.")
    var epsilon: Float?

    @Option(parsing: .unconditional, help: "Alpha of the alpha-beta rule (alpha - beta = 1).")
    var alpha: Float?

    @Option(parsing: .unconditional, help: "Beta of the alpha-beta rule.")
    var beta: Float?

    @Option(name: .customLong("first-layer"), help: "Rule for the first conv layer: flat, wsquare or zbox (bounds from --preprocess).")
    var firstLayer: FirstLayerRule?

    @Option(name: .customLong("maxpool"), help: "Max-pooling outside the cut-off: wta (winner takes all) or proportional.")
    var maxPool: MaxPoolRule = .winnerTakeAll

    @Option(help: "JSON rule map: rules by layer name, layer range K1-K2 or kind on top of the preset (format: Sources/CNNRelevance/Rules/RuleMapFile.md; names and K as 'lrp-cnn layers' prints them).")
    var rules: String?

    @Option(parsing: .unconditional, help: "Cut-off K (conv/linear layers from the input that become flat; 0 = none) or 'all' for a sweep. See 'lrp-cnn layers'. (default: 0)",
            transform: CutoffChoice.init(parsing:))
    var cutoff: CutoffChoice = .k(0)

    @Option(parsing: .unconditional, help: "Class to explain: auto (top prediction), a class index, or a label.")
    var target: String = "auto"

    @Option(name: .customLong("input-npy"), help: "Exact input tensor [N,C,H,W] or [C,H,W] (.npy) instead of a picture; repeatable.")
    var inputNpy: [String] = []

    @Option(help: "Heatmap colours: lrp or bwr.")
    var colormap: Colormap = .lrp

    @Option(parsing: .unconditional, help: "Images per forward/relevance batch.")
    var batch: Int = 8

    @Option(help: "Files per image, comma-separated: relevance (.relevance.npy), heatmap (.heatmap.npy), png (.heatmap.png), overlay (.overlay.png), json. (default: all)",
            transform: ExplanationOutputs.init(parsing:))
    var outputs: ExplanationOutputs = .all

    @OptionGroup var shardOptions: ShardOptions

    @OptionGroup var batchOptions: BatchOptions

    func validate() throws {
        guard !images.isEmpty || !inputNpy.isEmpty else { throw ValidationError("no input: give image files or --input-npy FILE") }
        try OptionRange.path("--out", out)
        try OptionRange.path("--rules", rules)
        // with --rules the base preset may come from the file, and alpha-beta entries use --alpha/--beta
        if rules == nil, alpha != nil || beta != nil, preset != .alpha2beta1 && preset != .epsilonAlpha2Beta1Flat {
            throw ValidationError("--alpha/--beta apply to the presets alpha2beta1 and epsilon-alpha2beta1-flat, not \(preset.rawValue)")
        }
        // docs/DESIGN.md §7.6: each numeric option's range, named with its flag
        try OptionRange.check("--batch", batch, atLeast: 1)
        if let epsilon { try OptionRange.check("--epsilon", epsilon, atLeast: 0) }
        if let alpha { try OptionRange.check("--alpha", alpha, atLeast: 1) }
        if let beta { try OptionRange.check("--beta", beta, atLeast: 0) }
    }

    func run() throws {
        let shard = try shardOptions.resolve()
        if shard != nil, !inputNpy.isEmpty { throw ValidationError("--shard applies to image files, not --input-npy") }
        let sources = inputSources(images: images, npy: inputNpy)
        try OutputFolder.check(out)
        let ruleMap = try rules.map { path in try withRulesContext { try RuleMap(contentsOf: URL(fileURLWithPath: path)) } }
        let loaded = try modelOptions.load()
        let (graph, modelURL, labels) = (loaded.graph, loaded.url, loaded.labels)
        let preprocessing = modelOptions.preprocessing(for: graph)
        let plan = try rulePlan(preprocessing, ruleMap: ruleMap)
        try withRulesContext { try plan.validate(against: graph) }
        let (cutoffs, sweep) = cutoff.values(maxK: graph.mappingLayerCount)
        var shardRun: ShardRun?
        if let shard {
            let options = try shardOptionValues(cutoffs: cutoffs, inputShape: graph.inputShape)
            shardRun = try ShardRun(output: URL(fileURLWithPath: out), fresh: try ShardManifest.forImages(
                images, tool: "lrp-cnn", command: "explain", model: modelURL, options: options, shard: shard))
        }
        let settings = ExplainSettings(
            plan: plan, cutoffs: cutoffs, isSweep: sweep, target: TargetChoice(parsing: target), labels: labels,
            preprocessing: preprocessing, colormap: colormap, batchSize: batch,
            outputDirectory: shardRun?.folder ?? URL(fileURLWithPath: out), modelName: modelURL.path, outputs: outputs)
        let run = try OptionErrors.naming(["cut-off": "--cutoff", "batch size": "--batch", "the selected classes": "--classes"]) {
            try ExplainRun(graph: graph, settings: settings)
        }
        try OutputFolder.create(settings.outputDirectory)
        var count = 0, files = 0
        var todo = sources
        if let shardRun {
            let pending = shardRun.todo(verify: shardRun.filesMatch).map { shardRun.manifest.items[$0].id }
            print("shard \(shardRun.manifest.shardIndex)/\(shardRun.manifest.shardCount): \(pending.count) to do of \(shardRun.manifest.items.count)")
            todo = pending.map { .image(URL(fileURLWithPath: $0)) }
            try shardRun.save()
        }
        // What was recorded is kept even when a later image fails.
        defer { try? shardRun?.save() }
        let progress = ProgressPrinter().handler
        // A bad image gets its error line, the others go on (docs/DESIGN.md §7.5).
        let batchRun = BatchRun(sources: todo.map(\.url), verb: "explained", failFast: batchOptions.failFast)
        let onFailure: ItemFailureHandler = { url, error in
            shardRun?.markFailed(url, error: error.userMessage)
            try batchRun.failure(url, error)
        }
        if !todo.isEmpty { try batchRun.run { try run.run(todo, onFailure: onFailure) { sample in
            if let shardRun {
                try shardRun.markExplained(sample.source, files: sample.files)
                progress(ProgressEvent(stage: "explain", done: shardRun.manifest.counts.done, total: shardRun.manifest.items.count))
            }
            batchRun.success(sample.source)
            count += 1
            files += sample.files.count
            let name = sample.source.lastPathComponent + (sample.sampleIndex.map { "[\($0)]" } ?? "")
            let shown = zip(cutoffs, sample.relevanceSums).map { "\(sweep ? "K=\($0) " : "")\(String(format: "%.4g", $1))" }
            let sums = shown.count > 4 ? "\(shown.first!) ... \(shown.last!)" : shown.joined(separator: ", ")
            print("\(name): target \(sample.target.label) (\(sample.target.classIndex)), logit \(String(format: "%.4g", sample.target.logit)), relevance sum \(sums)")
            let stem = sweep ? "\(sample.stem).cutoff-{\(cutoffs.first!)..\(cutoffs.last!)}" : sample.stem
            print("  -> \(settings.outputDirectory.path)/\(stem).{\(outputs.suffixes.joined(separator: ", "))}")
        } } }
        if let shardRun { ShardReports.summary(shardRun) }
        print("wrote \(files) files for \(count) input\(count == 1 ? "" : "s") to \(settings.outputDirectory.path)")
        try batchRun.finish()
    }

    /// The options that affect an explanation, recorded in a shard's manifest.
    private func shardOptionValues(cutoffs: [Int], inputShape: [Int]) throws -> [String: String] {
        func text<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "" }
        func hash(_ path: String?) throws -> String { try path.map { try SHA256.hex(file: URL(fileURLWithPath: $0)) } ?? "" }
        var o: [String: String] = [:]
        o["preset"] = preset.rawValue
        o["epsilon"] = text(epsilon)
        o["alpha"] = text(alpha)
        o["beta"] = text(beta)
        o["first-layer"] = text(firstLayer?.rawValue)
        o["maxpool"] = maxPool.rawValue
        o["rules"] = try hash(rules)
        o["cutoff"] = "\(cutoffs)"
        o["target"] = target
        o["colormap"] = colormap.rawValue
        if outputs != .all { o["outputs"] = outputs.suffixes.joined(separator: ",") }  // older manifests match
        o["classes"] = text(modelOptions.classes)
        o["labels"] = try hash(modelOptions.labels)
        o["preprocess"] = modelOptions.preprocess.rawValue
        o["crop"] = modelOptions.crop.rawValue
        o["size"] = "\(inputShape[1])x\(inputShape[2])"
        return o
    }

    /// Errors of the rule file, prefixed with `--rules FILE:`.
    private func withRulesContext<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as LRPError {
            throw LRPError("--rules \(rules ?? ""): \(e.message)")
        }
    }

    private func rulePlan(_ preprocessing: Preprocessing, ruleMap: RuleMap?) throws -> RulePlan {
        let preset = ruleMap?.preset ?? self.preset
        let a = alpha ?? beta.map { $0 + 1 } ?? 2
        let b = beta ?? alpha.map { $0 - 1 } ?? 1
        var plan = try RulePlan(preset: preset, alpha: a, beta: b, firstLayer: firstLayer, maxPool: maxPool,
                                zBoxLow: preprocessing.zBoxLow, zBoxHigh: preprocessing.zBoxHigh, ruleMap: ruleMap)
        if let epsilon {
            plan = try RulePlan(preset: preset, epsilon: epsilon, alpha: a, beta: b, firstLayer: firstLayer, maxPool: maxPool,
                                zBoxLow: preprocessing.zBoxLow, zBoxHigh: preprocessing.zBoxHigh, ruleMap: ruleMap)
        }
        return plan
    }
}

/// `--cutoff K|all`. The range of K depends on the model and is checked by `ExplainRun`.
enum CutoffChoice {
    case k(Int)
    case all

    init(parsing text: String) throws {
        if text.lowercased() == "all" { self = .all } else if let k = Int(text) { self = .k(k) } else {
            throw ValidationError("expected a number K or 'all'")
        }
    }

    /// The cut-offs to explain at and whether they form a sweep.
    func values(maxK: Int) -> (cutoffs: [Int], isSweep: Bool) {
        switch self {
        case .k(let k): return ([k], false)
        case .all: return (Array(0...max(0, maxK)), true)
        }
    }
}
