import ArgumentParser
import CLISupport
import Comparison
import Foundation
import LRPCore

/// `lrp-compare faithfulness` (docs/DESIGN.md §10.2): region perturbation (Samek et al. 2017) of
/// both model families, AOPC(MoRF), AOPC(LeRF) and ABPC per method with bootstrap intervals.
struct FaithfulnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faithfulness",
        abstract: "Faithfulness by region perturbation (MoRF/LeRF, AOPC, ABPC) for every method.",
        discussion: """
        Splits each model's input into non-overlapping --region × --region regions, ranks them by \
        summed relevance and replaces them with uniform noise one per step, most relevant first \
        (MoRF) and least relevant first (LeRF), for --steps steps, re-scoring every --every steps. \
        Methods: the CNN's epsilon-plus-flat preset at every 4th cut-off (K = 0 included), the \
        other presets at K = 0, the FV model at bin and descriptor resolution, and per family a \
        random order and a centre prior. --methods keeps some: ids (cnn/epsilon-plus-flat/K=0, \
        fv/bin, ...), prefixes (cnn, fv, cnn/epsilon) or kinds (lrp, random, centre). \
        IMAGES: pictures, folders of pictures, or a dataset split in ImageNet layout \
        (DIR/<wnid>/*.JPEG; the first --per-class images of each class by file name). Writes \
        faithfulness.json, curves.csv, curves.json, table.md, curves.png and curves.svg into --out, \
        all or nothing.
        """)

    @Argument(help: "Images, folders of images, or a dataset split folder DIR/<class>/*.JPEG.") var images: [String]
    @Option(help: "Output folder.") var out: String
    @Option(help: "Region side in pixels of each model's input.") var region = 9
    @Option(help: "L: regions replaced per curve.") var steps = 100
    @Option(help: "Re-score the models every s steps.") var every = 5
    @Option(help: "Seed of the noise, the random orders and the bootstrap.") var seed: UInt64 = 0
    @Option(help: "Bootstrap resamples for the 95% intervals.") var bootstrap = 2000
    @Option(help: "Comma-separated method ids, prefixes or kinds to run (default: all).") var methods: String?
    @Option(name: .customLong("cutoff-every"), help: "Measure the default preset at every n-th cut-off.") var cutoffEvery = 4
    @Option(name: .customLong("cnn-model"), help: "ONNX CNN (default: bundled Models/mobilenet_v2.onnx).") var cnnModel: String?
    @Option(name: .customLong("fv-model"), help: "Fisher-vector model (default: bundled Models/fisher_imagenette.safetensors).") var fvModel: String?
    @Option(name: .customLong("per-class"), help: "Images per class taken from a dataset folder.") var perClass = 10
    @Option(help: "Use at most N images.") var limit: Int?
    @Option(help: "CNN re-scoring batch size.") var batch = 16

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out needs a folder name") }
        guard region >= 1 else { throw ValidationError("--region must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard every >= 1 else { throw ValidationError("--every must be at least 1") }
        guard bootstrap >= 1 else { throw ValidationError("--bootstrap must be at least 1") }
        guard cutoffEvery >= 1 else { throw ValidationError("--cutoff-every must be at least 1") }
        guard perClass >= 1 else { throw ValidationError("--per-class must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        var config = FaithfulnessConfiguration()
        config.settings = PerturbationSettings(regionSize: region, steps: steps, every: every, seed: seed,
                                               bootstrapResamples: bootstrap)
        config.cnnModel = try ModelArgument.resolve(cnnModel, bundled: "mobilenet_v2.onnx")
        config.cnnIsBundled = cnnModel == nil
        config.fvModel = try ModelArgument.resolve(fvModel, bundled: "fisher_imagenette.safetensors")
        config.methodPatterns = methods.map { $0.split(separator: ",").map(String.init) } ?? []
        config.cutoffStride = cutoffEvery
        config.batchSize = batch
        let list = try ImageList.resolve(images, perClass: perClass, limit: limit)
        // a picture no decoder can read fails here, before the models are loaded
        try ImageList.checkDecodable(list)
        let run = try OptionErrors.naming(["region size": "--region", "re-scoring every": "--every"]) {
            try FaithfulnessRun(config)
        }
        let result = try OptionErrors.naming(["region size": "--region"]) {
            try run.run(list, progress: ProgressPrinter().handler)
        }
        try FaithfulnessOutput.write(result, to: URL(fileURLWithPath: out))
        print(FaithfulnessTable.table(result.methods))
        for c in result.conclusions { print(c.statement) }
        print(FaithfulnessTable.timing(result.timing))
        Stderr.line("\(list.count) images, \(run.methods.count) methods, \(config.settings.scoredSteps.count) points per curve: wrote \(FaithfulnessOutput.fileNames.joined(separator: ", ")) to \(out)")
    }
}
