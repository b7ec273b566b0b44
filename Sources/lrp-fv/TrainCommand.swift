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
    @Option(name: .customLong("gmm-k"), help: "GMM components K.") var gmmK = 256
    @Option(help: "PCA dimensions of the descriptors.") var pca = 80
    @Option(help: "Dense-SIFT bin sizes in pixels, comma-separated.") var sizes = "4,6,8,10"
    @Option(help: "Dense-SIFT step in pixels.") var step = 3
    @Option(help: "Spatial pyramid levels, rows x columns each (3x1 = three horizontal stripes).") var pyramid = "1x1,2x2,3x1"
    @Option(name: .customLong("svm-c"), help: "SVM regularisation C (primal ½‖w‖² + C Σ loss).") var svmC: Double = 1
    @Option(name: .customLong("svm-loss"), help: "SVM loss: hinge or squared-hinge.") var svmLoss: SVMOptions.Loss = .squaredHinge
    @Option(name: .customLong("svm-epochs"), help: "Maximum SVM epochs.") var svmEpochs = 20
    @Option(name: .customLong("svm-tolerance"), help: "Stop when the projected-gradient spread is below this.") var svmTolerance: Double = 0.1
    @Option(name: .customLong("descriptor-sample"), help: "Descriptors sampled for the PCA and the GMM.") var descriptorSample = 300_000
    @Option(name: .customLong("sample-images"), help: "At most this many images give the descriptor sample.") var sampleImages = 1_000
    @Option(name: .customLong("gmm-iterations"), help: "Maximum EM iterations.") var gmmIterations = 25
    @Option(name: .customLong("max-images-per-class"), help: "Use at most this many images per class.") var maxImagesPerClass: Int?
    @Option(help: "Random seed (sampling, k-means, SVM order).") var seed: UInt64 = 1
    @Option(name: .customLong("scratch-dir"), help: "Folder for the float16 training-vector file (default: the temporary folder).") var scratchDir: String?
    @Flag(name: .customLong("in-memory"), help: "Keep the training vectors in memory instead of a scratch file.") var inMemory = false
    @Option(help: "Storage of the SVM weights in the model file: float32 or float16.") var weights: ModelFile.WeightPrecision = .float32
    @Flag(name: .customLong("codebook-only"), help: "Fit only the PCA and GMM and write them to --out as a codebook for 'lrp-fv encode'.") var codebookOnly = false
    @Option(help: "Codebook of the encoded shards (with --features).") var codebook: String?
    @Option(parsing: .upToNextOption, help: "Train the SVMs from 'lrp-fv encode' output folders or shard folders instead of a dataset (needs --codebook).") var features: [String] = []

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out needs a file name") }
        guard gmmIterations >= 1, svmEpochs >= 1, sampleImages >= 1, descriptorSample >= 1 else {
            throw LRPError("iteration, epoch and sample counts must be positive")
        }
        if let m = maxImagesPerClass, m < 1 { throw LRPError("--max-images-per-class must be positive") }
        if features.isEmpty {
            guard dataset != nil else { throw ValidationError("missing --dataset (or --features with --codebook)") }
            guard codebook == nil else { throw ValidationError("--codebook goes with --features") }
        } else {
            guard dataset == nil, !codebookOnly else { throw ValidationError("--features replaces --dataset and cannot make a codebook") }
            guard codebook != nil else { throw ValidationError("--features needs --codebook FILE") }
        }
        guard svmTolerance > 0, svmTolerance.isFinite else { throw LRPError("--svm-tolerance must be positive") }
    }

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
        guard gmmK >= 1 && gmmK <= 4096 else { throw LRPError("--gmm-k must be between 1 and 4096, got \(gmmK)") }
        guard svmC > 0, svmC.isFinite else { throw LRPError("--svm-c must be positive, got \(svmC)") }
        options.pcaDimension = pca
        options.gmm.componentCount = gmmK
        options.gmm.maxIterations = gmmIterations
        options.gmm.seed = seed
        options.svm.c = svmC
        options.svm.loss = svmLoss
        options.svm.maxEpochs = svmEpochs
        options.svm.tolerance = svmTolerance
        options.svm.seed = seed
        options.descriptorSample = descriptorSample
        options.sampleImages = sampleImages
        options.maxImagesPerClass = maxImagesPerClass
        options.seed = seed
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
            try Codebook(model: book, seed: seed, maxImagesPerClass: maxImagesPerClass).write(to: outURL)
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
