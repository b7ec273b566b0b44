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
        All images are explained before anything is written; on an error nothing is left behind.
        """)

    enum Resolution: String, ExpressibleByArgument, CaseIterable { case bin, descriptor, both }

    @Option(help: "Model file (default: the bundled Models/fisher_imagenette.safetensors).") var model: String?
    @Argument(help: "Images (JPEG or PNG).") var images: [String]
    @Option(help: "Output folder.") var out: String
    @Option(help: "bin, descriptor or both.") var resolution: Resolution = .bin
    @Option(help: "Class to explain: auto (the predicted class), an index, a class id or a class name.") var target = "auto"
    @Option(help: "Epsilon of the Fisher-vector step (sum-pooled scale).") var epsilon: Float = 100
    @Option(name: .customLong("pca-epsilon"), help: "Epsilon of the PCA step (descriptor scale 0…255).") var pcaEpsilon: Float = 100
    @Option(help: "Colour map: lrp or bwr.") var colormap: Colormap = .lrp
    @OptionGroup var shardOptions: ShardOptions

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out needs a folder name") }
        guard epsilon >= 0, epsilon.isFinite, pcaEpsilon >= 0, pcaEpsilon.isFinite else {
            throw LRPError("--epsilon and --pca-epsilon must be non-negative numbers")
        }
    }

    func run() throws {
        let shard = try shardOptions.resolve()
        let modelURL = try ModelArgument.resolve(model, bundled: bundledFisherModel)
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
        if let shardRun {
            // One image at a time, each recorded as soon as its files are written.
            let todo = shardRun.todo(verify: shardRun.filesMatch).map { shardRun.manifest.items[$0].id }
            print("shard \(shardRun.manifest.shardIndex)/\(shardRun.manifest.shardCount): \(todo.count) to do of \(shardRun.manifest.items.count)")
            try shardRun.save()
            let progress = ProgressPrinter().handler
            for id in todo {
                let url = URL(fileURLWithPath: id)
                for e in try run.run([url]) { try shardRun.markExplained(url, files: e.files) }
                progress(ProgressEvent(stage: "explain", done: shardRun.manifest.counts.done, total: shardRun.manifest.items.count))
            }
            ShardReports.summary(shardRun)
            return
        }
        let explained = try run.run(images.map { URL(fileURLWithPath: $0) })
        for e in explained {
            Stderr.line("\(e.input.relativePath): predicted \(e.predictedName), explaining \(e.targetName) (score \(String(format: "%.4f", e.score)))")
        }
        Stderr.line("wrote \(explained.reduce(0) { $0 + $1.files.count }) files to \(settings.outputDirectory.path)")
    }
}
