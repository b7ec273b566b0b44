import CNNRelevance
import FisherVectors
import Foundation
import LRPCore

/// What a faithfulness run compares and how (docs/DESIGN.md §10.2).
public struct FaithfulnessConfiguration: Sendable {
    public var settings = PerturbationSettings()
    /// The CNN (nil: no CNN methods) and its label file (nil: the bundled ImageNet list for the
    /// bundled model or any 1000-class model), used to match the FV classes by name.
    public var cnnModel: URL?
    public var cnnLabels: URL?
    public var cnnIsBundled = true
    /// The FV model: always needed, its classes are the ones both families are scored on.
    public var fvModel: URL?
    /// `--methods` patterns (see `FaithfulnessMethod.matches`); empty = every default method.
    public var methodPatterns: [String] = []
    /// Every how many cut-offs the default preset is measured (K = 0 included).
    public var cutoffStride = 4
    public var batchSize = 16

    public init() {}
}

/// Region perturbation over many images for both families (docs/DESIGN.md §10.2). Every image
/// is read by both pipelines before any work starts (a bad image fails the run at once).
public final class FaithfulnessRun {
    public let configuration: FaithfulnessConfiguration
    public let cnn: CNNFaithfulness?
    public let fisher: FisherFaithfulness?

    public init(_ configuration: FaithfulnessConfiguration) throws {
        try configuration.settings.validate()
        self.configuration = configuration
        let patterns = configuration.methodPatterns
        let select: (FaithfulnessMethod) -> Bool = { m in patterns.isEmpty || patterns.contains { m.matches($0) } }
        // The FV model is loaded even when only CNN methods run: its classes are the ones both
        // families are scored on (docs/DESIGN.md §10.2).
        guard let fvURL = configuration.fvModel else {
            throw LRPError("a faithfulness run needs the Fisher-vector model: its classes are the ones both families are scored on")
        }
        let f = try FisherFaithfulness(modelURL: fvURL, select: select)
        let fvModel = f.model
        let fisher: FisherFaithfulness? = f.methods.isEmpty ? nil : f
        var cnn: CNNFaithfulness?
        if let url = configuration.cnnModel {
            // the CNN is restricted to the FV model's classes, matched by name as in ModelPair
            let (_, total) = try ModelLoading.load(url, size: nil, classes: nil)
            let labels = try ModelPair.loadLabels(configuration.cnnLabels, modelClasses: total,
                                                  bundledModel: configuration.cnnIsBundled)
            let classes = try ModelPair.matchClasses(fv: fvModel, labels: labels, cnnURL: url)
            let c = try CNNFaithfulness(modelURL: url, classes: classes, classIDs: fvModel.classes,
                                        classNames: fvModel.classNames, cutoffStride: configuration.cutoffStride,
                                        batchSize: configuration.batchSize, select: select)
            cnn = c.methods.isEmpty ? nil : c
        }
        guard cnn != nil || fisher != nil else {
            throw LRPError("no method selected: the patterns \(patterns) match none of the default methods")
        }
        self.cnn = cnn
        self.fisher = fisher
        if let cnn { _ = try configuration.settings.grid(for: cnn.space, name: "CNN") }
    }

    public var methods: [FaithfulnessMethod] { (cnn?.methods ?? []) + (fisher?.methods ?? []) }

    /// Splits a family's CPU seconds for an image between explaining and re-scoring in the
    /// proportion of their wall-clock times (the two phases run one after the other).
    static func splitCPU(_ r: inout FamilyImageResult, _ cpu: Double) {
        let wall = r.explainSeconds + r.rescoreSeconds
        let share = wall > 0 ? r.explainSeconds / wall : 0
        r.explainCPUSeconds = cpu * share
        r.rescoreCPUSeconds = cpu * (1 - share)
    }

    public func run(_ images: [ImageList.Entry], progress: ProgressHandler?) throws -> FaithfulnessResult {
        guard !images.isEmpty else { throw LRPError("no input images given") }
        let settings = configuration.settings
        let start = Date()
        let cpuStart = CPUClock.process()
        // read every image with both pipelines first (and check its size against the grid)
        let checks = ParallelSlots<Result<Void, Error>>(count: images.count)
        Parallel.forEach(images.count) { i in
            checks.set(i, Result {
                try self.cnn?.check(images[i].url)
                if let f = self.fisher {
                    let (_, space) = try f.load(images[i].url)
                    _ = try settings.grid(for: space, name: "Fisher-vector model (\(images[i].url.lastPathComponent))")
                }
            })
        }
        _ = try checks.values()
        progress?(ProgressEvent(stage: "read", done: images.count, total: images.count))

        var results: [ImageResult] = []
        var fvInfo: (InputSpace, RegionGrid)?
        let cnnGrid = try cnn.map { try settings.grid(for: $0.space, name: "CNN") }
        for (i, entry) in images.enumerated() {
            var families: [FamilyImageResult] = []
            if let cnn, let cnnGrid {
                let c0 = CPUClock.process()
                var r = try cnn.evaluate(entry.url, image: i, settings: settings, grid: cnnGrid)
                Self.splitCPU(&r, CPUClock.process() - c0)
                families.append(r)
            }
            if let fisher {
                let c0 = CPUClock.process()
                var (r, space, grid) = try fisher.evaluate(entry.url, image: i, settings: settings)
                Self.splitCPU(&r, CPUClock.process() - c0)
                families.append(r)
                if fvInfo == nil { fvInfo = (space, grid) }
            }
            results.append(ImageResult(path: entry.url.path, label: entry.label, families: families))
            let secs = Date().timeIntervalSince(start) / Double(i + 1)
            progress?(ProgressEvent(stage: "perturb", done: i + 1, total: images.count,
                                    detail: String(format: "%.1f s per image", secs)))
        }
        let total = Date().timeIntervalSince(start)
        let methodResults = FaithfulnessSummary.methods(methods, images: results, settings: settings)
        var infos: [FamilyInfo] = []
        if let cnn, let cnnGrid {
            infos.append(FamilyInfo(family: .cnn, model: cnn.modelName, inputSpace: cnn.space, regionColumns: cnnGrid.columns,
                                    regionRows: cnnGrid.rows,
                                    target: "the CNN's top logit among the \(cnn.classIDs.count) compared classes",
                                    score: "the logit of that class (the CNN restricted to the \(cnn.classIDs.count) classes)"))
        }
        if let fisher, let (space, grid) = fvInfo {
            infos.append(FamilyInfo(family: .fisherVector, model: fisher.modelName, inputSpace: space, regionColumns: grid.columns,
                                    regionRows: grid.rows, target: "the Fisher-vector model's predicted class",
                                    score: "the linear SVM score of that class"))
        }
        func sum(_ f: ModelFamily, _ v: (FamilyImageResult) -> Double) -> Double {
            results.reduce(0.0) { acc, r in acc + (r.families.first { $0.family == f }.map(v) ?? 0) }
        }
        var explain: [String: Double] = [:], rescore: [String: Double] = [:], counts: [String: Int] = [:]
        let points = settings.scoredSteps.count - 1
        if let cnn {
            explain["cnn"] = sum(.cnn, \.explainSeconds); rescore["cnn"] = sum(.cnn, \.rescoreSeconds)
            counts["cnn"] = images.count * (2 * cnn.methods.count * points + 1)
        }
        if let fisher {
            explain["fv"] = sum(.fisherVector, \.explainSeconds); rescore["fv"] = sum(.fisherVector, \.rescoreSeconds)
            counts["fv"] = fisher.rescorings
        }
        let per = total / Double(images.count)
        var timing = TimingReport(images: images.count, totalSeconds: total, explainSeconds: explain, rescoreSeconds: rescore,
                                  rescorings: counts, fvIncremental: fisher?.incrementalReport, secondsPerImage: per,
                                  projected100ImagesSeconds: per * 100, workers: Parallel.workerCount)
        for (key, f) in [("cnn", ModelFamily.cnn), ("fv", .fisherVector)] where explain[key] != nil {
            timing.explainCPUSeconds[key] = sum(f, \.explainCPUSeconds)
            timing.rescoreCPUSeconds[key] = sum(f, \.rescoreCPUSeconds)
        }
        timing.cpuSeconds = CPUClock.process() - cpuStart
        timing.cpuSecondsPerImage = timing.cpuSeconds / Double(images.count)
        timing.projected100ImagesCPUBoundSeconds = timing.cpuSecondsPerImage * 100 / Double(max(1, Parallel.workerCount))
        return FaithfulnessResult(settings: settings, families: infos, methods: methodResults, images: results,
                                  conclusions: FaithfulnessSummary.conclusions(methodResults, images: results, settings: settings),
                                  timing: timing)
    }
}
