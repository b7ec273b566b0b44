import ArgumentParser
import CLISupport
import FisherVectors
import Foundation
import LRPCore

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Relevance heatmaps of a Fisher-vector classifier's decision, in each image's own pixel grid.",
        discussion: """
        For each IMAGE and resolution writes <stem>.<resolution>.heatmap.npy (H×W float32), \
        .heatmap.png, .overlay.png and .json (prediction, scores, target, score and the relevance \
        sum at each stage) into --out. Resolution 'descriptor' spreads each descriptor's relevance \
        over its 4×4-bin support; 'bin' takes it back through the PCA (epsilon rule, \
        --pca-epsilon) to the 16 SIFT bins and spreads each over its binSize×binSize pixels. \
        Each image's files are all written or none; a bad image gets one error line and the others \
        are still explained (--fail-fast stops at the first).
        """)

    enum Resolution: String, ExpressibleByArgument, CaseIterable { case bin, descriptor, both }

    @Option(help: "Model file (default: the bundled Models/fisher_imagenette.safetensors).") var model: String?
    @Argument(help: "Images (JPEG or PNG).") var images: [String]
    @Option(help: "Output folder.") var out: String
    @Option(help: "bin, descriptor or both.") var resolution: Resolution = .bin
    @Option(parsing: .unconditional, help: "Class to explain: auto (the predicted class), an index, a class id or a class name.") var target = "auto"
    @Option(parsing: .unconditional, help: "Epsilon of the Fisher-vector step (sum-pooled scale).") var epsilon: Float = 100
    @Option(name: .customLong("pca-epsilon"), parsing: .unconditional, help: "Epsilon of the PCA step (descriptor scale 0…255).") var pcaEpsilon: Float = 100
    @Option(help: "Colour map: lrp or bwr.") var colormap: Colormap = .lrp
    @OptionGroup var shardOptions: ShardOptions
    @OptionGroup var batchOptions: BatchOptions

    func validate() throws {
        try OptionRange.path("--out", out)
        try OptionRange.path("--model", model)
        try OptionRange.check("--epsilon", epsilon, atLeast: 0)
        try OptionRange.check("--pca-epsilon", pcaEpsilon, atLeast: 0)
    }

    func run() throws {
        let shard = try shardOptions.resolve()
        let modelURL = try ModelArgument.resolve(model, bundled: bundledFisherModel)
        try OutputFolder.check(out)
        let m = try ModelFile.read(modelURL)
        let resolutions: [FisherResolution] = resolution == .both ? [.descriptor, .bin]
            : [resolution == .bin ? .bin : .descriptor]
        var shardRun: ShardRun?
        if let shard {
            let options = ["resolution": resolution.rawValue, "target": target, "epsilon": "\(epsilon)",
                           "pca-epsilon": "\(pcaEpsilon)", "colormap": colormap.rawValue]
            shardRun = try ShardRun(output: URL(fileURLWithPath: out), fresh: try ShardManifest.forImages(
                images, tool: "lrp-fv", command: "explain", model: modelURL, options: options, shard: shard))
        }
        let settings = FisherExplainSettings(
            target: target.lowercased() == "auto" ? nil : target, resolutions: resolutions, epsilon: epsilon,
            pcaEpsilon: pcaEpsilon, colormap: colormap, outputDirectory: shardRun?.folder ?? URL(fileURLWithPath: out))
        let run = try OptionErrors.naming(["target class": "--target"]) { try FisherExplainRun(model: m, settings: settings) }
        try OutputFolder.create(settings.outputDirectory)
        var todo = images.map { URL(fileURLWithPath: $0) }
        if let shardRun {
            // One image at a time, each recorded as soon as its files are written.
            todo = shardRun.todo(verify: shardRun.filesMatch).map { URL(fileURLWithPath: shardRun.manifest.items[$0].id) }
            print("shard \(shardRun.manifest.shardIndex)/\(shardRun.manifest.shardCount): \(todo.count) to do of \(shardRun.manifest.items.count)")
            try shardRun.save()
        }
        defer { try? shardRun?.save() }
        let progress = ProgressPrinter().handler
        // A bad image gets its error line, the others go on (docs/DESIGN.md §7.5).
        let batchRun = BatchRun(sources: todo, verb: "explained", failFast: batchOptions.failFast)
        var files = 0
        try batchRun.run {
            guard !todo.isEmpty else { return }
            try run.run(todo, onFailure: { url, error in
                shardRun?.markFailed(url, error: error.userMessage)
                try batchRun.failure(url, error)
            }) { e in
                if let shardRun {
                    try shardRun.markExplained(e.input, files: e.files)
                    progress(ProgressEvent(stage: "explain", done: shardRun.manifest.counts.done, total: shardRun.manifest.items.count))
                } else {
                    Stderr.line("\(e.input.relativePath): predicted \(e.predictedName), explaining \(e.targetName) (score \(String(format: "%.4f", e.score)))")
                }
                files += e.files.count
                batchRun.success(e.input)
            }
        }
        if let shardRun {
            ShardReports.summary(shardRun)
        } else {
            Stderr.line("wrote \(files) files to \(settings.outputDirectory.path)")
        }
        try batchRun.finish()
    }
}
