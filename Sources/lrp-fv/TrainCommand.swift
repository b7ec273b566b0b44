import ArgumentParser
import CLISupport
import Evaluation
import FisherVectors
import Foundation
import LRPCore

extension SVMOptions.Loss: ExpressibleByArgument {}
extension ModelFile.WeightPrecision: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a Fisher-vector classifier on a dataset split and write the model file.",
        discussion: """
        Pipeline: grey levels in [0,1] → PHOW dense SIFT → PCA → diagonal GMM → improved Fisher \
        vector per spatial-pyramid cell → one-vs-rest linear SVMs (dual coordinate descent). \
        Unreadable images and empty class folders are reported on stderr and skipped. Training \
        vectors are kept as float16 in a memory-mapped scratch file (see --scratch-dir).
        """)

    @Option(help: "Dataset root folder (not with --features).") var dataset: String?
    @Option(help: "Dataset layout: imagenet (<split>/<class>/*.JPEG) or voc.") var layout: DatasetLayout = .imagenet
    @Option(help: "Split to train on.") var split = "train"
    @Option(help: "Output model file (.safetensors).") var out: String
    @Option(name: .customLong("gmm-k"), parsing: .unconditional, help: "GMM components K.") var gmmK = 256
    @Option(parsing: .unconditional, help: "PCA dimensions of the descriptors.") var pca = 80
    @Option(parsing: .unconditional, help: "Dense-SIFT bin sizes in pixels, comma-separated.") var sizes = "4,6,8,10"
    @Option(parsing: .unconditional, help: "Dense-SIFT step in pixels.") var step = 3
    @Option(parsing: .unconditional, help: "Spatial pyramid levels, rows x columns each (3x1 = three horizontal stripes).") var pyramid = "1x1,2x2,3x1"
    @Option(name: .customLong("svm-c"), parsing: .unconditional, help: "SVM regularisation C (primal ½‖w‖² + C Σ loss).") var svmC: Double = 1
    @Option(name: .customLong("svm-loss"), help: "SVM loss: hinge or squared-hinge.") var svmLoss: SVMOptions.Loss = .squaredHinge
    @Option(name: .customLong("svm-epochs"), parsing: .unconditional, help: "Maximum SVM epochs.") var svmEpochs = 20
    @Option(name: .customLong("svm-tolerance"), parsing: .unconditional, help: "Stop when the projected-gradient spread is below this.") var svmTolerance: Double = 0.1
    @Option(name: .customLong("descriptor-sample"), parsing: .unconditional, help: "Descriptors sampled for the PCA and the GMM.") var descriptorSample = 300_000
    @Option(name: .customLong("sample-images"), parsing: .unconditional, help: "At most this many images give the descriptor sample.") var sampleImages = 1_000
    @Option(name: .customLong("gmm-iterations"), parsing: .unconditional, help: "Maximum EM iterations.") var gmmIterations = 25
    @Option(name: .customLong("max-images-per-class"), parsing: .unconditional, help: "Use at most this many images per class.") var maxImagesPerClass: Int?
    @Option(parsing: .unconditional, help: "Random seed (sampling, k-means, SVM order), 0...18446744073709551615.") var seed = "1"
    @Option(name: .customLong("scratch-dir"), help: "Folder for the float16 training-vector file (default: the temporary folder).") var scratchDir: String?
    @Flag(name: .customLong("in-memory"), help: "Keep the training vectors in memory instead of a scratch file.") var inMemory = false
    @Option(help: "Storage of the SVM weights in the model file: float32 or float16.") var weights: ModelFile.WeightPrecision = .float32
    @Flag(name: .customLong("codebook-only"), help: "Fit only the PCA and GMM and write them to --out as a codebook for 'lrp-fv encode'.") var codebookOnly = false
    @Option(help: "Codebook of the encoded shards (with --features).") var codebook: String?
    @Option(parsing: .upToNextOption, help: "Train the SVMs from 'lrp-fv encode' output folders or shard folders instead of a dataset (needs --codebook).") var features: [String] = []

    func validate() throws {
        try OptionRange.path("--out", out)
        try OptionRange.path("--scratch-dir", scratchDir)
        try OptionRange.path("--codebook", codebook)
        if features.isEmpty {
            guard dataset != nil else { throw ValidationError("missing --dataset (or --features with --codebook)") }
            guard codebook == nil else { throw ValidationError("--codebook goes with --features") }
        } else {
            guard dataset == nil, !codebookOnly else { throw ValidationError("--features replaces --dataset and cannot make a codebook") }
            guard codebook != nil else { throw ValidationError("--features needs --codebook FILE") }
        }
        // docs/DESIGN.md §7.6: each numeric option's range, named with its flag
        try OptionRange.check("--gmm-k", gmmK, atLeast: 1, atMost: 4096)
        try OptionRange.check("--pca", pca, atLeast: 1, atMost: 128)
        try OptionRange.check("--step", step, atLeast: 1)
        try OptionRange.check("--svm-c", svmC, atLeast: 0, exclusive: true)
        try OptionRange.check("--svm-epochs", svmEpochs, atLeast: 1)
        try OptionRange.check("--svm-tolerance", svmTolerance, atLeast: 0, exclusive: true)
        try OptionRange.check("--descriptor-sample", descriptorSample, atLeast: 1)
        try OptionRange.check("--sample-images", sampleImages, atLeast: 1)
        try OptionRange.check("--gmm-iterations", gmmIterations, atLeast: 1)
        if let m = maxImagesPerClass { try OptionRange.check("--max-images-per-class", m, atLeast: 1) }
        guard UInt64(seed) != nil else { throw LRPError("--seed must be an integer between 0 and \(UInt64.max) (got \(seed))") }
    }

    /// `--seed` as a number (kept as text so that a negative value gets the range error).
    private var seedValue: UInt64 { UInt64(seed) ?? 1 }

    func run() throws {
        let outURL = URL(fileURLWithPath: out)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: outURL.path, isDirectory: &isDir), isDir.boolValue {
            throw LRPError("--out \(out) is a directory; give a file name such as model.safetensors")
        }
        var options = TrainingOptions()
        options.features.binSizes = try FeatureOptions.parseSizes(sizes)
        options.features.step = step
        options.features.pyramid = try FeatureOptions.parsePyramid(pyramid)
        try options.features.validate()
        options.pcaDimension = pca
        options.gmm.componentCount = gmmK
        options.gmm.maxIterations = gmmIterations
        options.gmm.seed = seedValue
        options.svm.c = svmC
        options.svm.loss = svmLoss
        options.svm.maxEpochs = svmEpochs
        options.svm.tolerance = svmTolerance
        options.svm.seed = seedValue
        options.descriptorSample = descriptorSample
        options.sampleImages = sampleImages
        options.maxImagesPerClass = maxImagesPerClass
        options.seed = seedValue
        options.scratchDirectory = inMemory ? nil : URL(fileURLWithPath: scratchDir ?? NSTemporaryDirectory())

        let printer = ProgressPrinter()
        let command = (["lrp-fv"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        if let codebook {
            try trainFromFeatures(codebook: URL(fileURLWithPath: codebook), options: options, command: command, out: outURL, progress: printer.handler)
            return
        }
        guard let dataset else { throw ValidationError("missing --dataset") }
        let data = try Dataset.load(root: URL(fileURLWithPath: dataset), layout: layout, split: split)
        SkipReport.print("skipped dataset entries", data.warnings)
        Stderr.line("training on \(data.items.count) images of \(data.classes.count) classes (\(dataset), split \(split))")
        if codebookOnly {
            let (book, summary) = try OptionErrors.naming(["PCA dimension": "--pca", "descriptor sample": "--descriptor-sample"]) {
                try FisherVectorTrainer.fitCodebook(dataset: data, options: options, progress: printer.handler)
            }
            try Codebook(model: book, seed: seedValue, maxImagesPerClass: maxImagesPerClass).write(to: outURL)
            SkipReport.print("skipped images", summary.skippedImages)
            Stderr.line("wrote codebook \(outURL.path) (PCA \(pca), GMM K = \(gmmK)); encode with 'lrp-fv encode --codebook \(out)'")
            return
        }
        let (model, summary) = try OptionErrors.naming(["PCA dimension": "--pca", "descriptor sample": "--descriptor-sample"]) {
            try FisherVectorTrainer.train(dataset: data, options: options, trainingCommand: command, progress: printer.handler)
        }
        try ModelFile.write(model, to: outURL, weightPrecision: weights)
        SkipReport.print("skipped images", summary.skippedImages)
        let times = summary.stageSeconds.map { String(format: "%@ %.1fs", $0.0, $0.1) }.joined(separator: ", ")
        Stderr.line("trained on \(summary.imagesUsed) images (\(summary.skippedImages.count) skipped); \(times)")
        if let g = summary.gmm {
            Stderr.line(String(format: "GMM: %d EM iterations, log-likelihood per descriptor %.4f, %d restarts",
                               g.iterations, g.finalLogLikelihood / Double(max(1, summary.descriptorsSampled)), g.restarts))
        }
        if let s = summary.svm {
            Stderr.line(String(format: "SVM: %d epochs, projected-gradient spread %.4f, relative duality gap %.2e",
                               s.epochs, s.projectedGradientSpread, s.relativeDualityGap))
        }
        Stderr.line("wrote \(outURL.path)")
    }

    /// SVMs from encoded shards: the codebook's PCA and GMM with SVMs on the shards' vectors,
    /// the same model as training in one process.
    private func trainFromFeatures(codebook url: URL, options: TrainingOptions, command: String, out: URL,
                                   progress: @escaping ProgressHandler) throws {
        var book = try Codebook.read(url).model
        let (store, labels, usable, skipped) = try EncodedShard.load(
            features.map { URL(fileURLWithPath: $0) }, codebookSHA256: try SHA256.hex(file: url), columns: book.fisherLength,
            scratchDirectory: options.scratchDirectory)
        Stderr.line("training the SVMs on \(usable.filter { $0 }.count) encoded images of \(book.classes.count) classes")
        book.trainingCommand = command
        var summary = TrainingSummary()
        let model = try FisherVectorTrainer.trainSVMs(codebook: book, store: store, labels: labels, usable: usable,
                                                      options: options.svm, summary: &summary, progress: progress)
        try ModelFile.write(model, to: out, weightPrecision: weights)
        SkipReport.print("skipped images", skipped)
        if let s = summary.svm {
            Stderr.line(String(format: "SVM: %d epochs, projected-gradient spread %.4f, relative duality gap %.2e",
                               s.epochs, s.projectedGradientSpread, s.relativeDualityGap))
        }
        Stderr.line("wrote \(out.path)")
    }
}
