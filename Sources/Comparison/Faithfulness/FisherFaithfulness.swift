import FisherVectors
import Foundation
import LRPCore

/// The Fisher-vector side of the faithfulness comparison (docs/DESIGN.md §10.2): maps at bin and
/// at descriptor resolution (§4.2), perturbation of the picture the pipeline works on (at most
/// `ImageEncoder.maxSide` px), incremental re-scoring.
public final class FisherFaithfulness {
    public let model: FisherVectorModel
    public let methods: [FaithfulnessMethod]
    public let modelName: String
    /// Set by `evaluate`: the CPU time of a full encoding + scoring of each image (one thread),
    /// for the incremental saving.
    public private(set) var fullEncodeSeconds: [Double] = []
    public private(set) var descriptorCounts: [Int] = []
    public private(set) var rescorings = 0
    public private(set) var recomputed = 0
    public private(set) var changed = 0
    public private(set) var incrementalCoreSeconds = 0.0

    public init(modelURL: URL, select: (FaithfulnessMethod) -> Bool) throws {
        model = try ModelFile.read(modelURL)
        modelName = modelURL.lastPathComponent
        let all: [FaithfulnessMethod] = [.fisher(resolution: "bin"), .fisher(resolution: "descriptor"),
                                         .random(.fisherVector), .centre(.fisherVector)]
        methods = all.filter(select)
    }

    /// The picture as the pipeline reads it, and its input space.
    public func load(_ url: URL) throws -> (image: Image, space: InputSpace) {
        let image = try ImageEncoder.loadImage(url)
        let space = InputSpace(width: image.width, height: image.height, channels: image.channels, interleaved: true,
                               noiseLow: Array(repeating: 0, count: image.channels),
                               noiseHigh: Array(repeating: 255, count: image.channels),
                               description: "the picture the FV pipeline reads (at most \(ImageEncoder.maxSide) px on the longer side), 0…255 per channel; noise uniform over 0…255")
        return (image, space)
    }

    public func evaluate(_ url: URL, image index: Int, settings: PerturbationSettings) throws -> (FamilyImageResult, InputSpace, RegionGrid) {
        let (image, space) = try load(url)
        let grid = try settings.grid(for: space, name: "Fisher-vector model (\(url.lastPathComponent))")
        let start = Date()
        let wantBin = methods.contains { $0.resolution == "bin" }, wantDescriptor = methods.contains { $0.resolution == "descriptor" }
        var resolutions = Set<FisherResolution>()
        if wantBin { resolutions.insert(.bin) }
        if wantDescriptor { resolutions.insert(.descriptor) }
        // the explained class is the FV model's prediction (target nil)
        let explanation = try FisherExplainer.explain(model: model, image: image, target: nil,
                                                      resolutions: resolutions.isEmpty ? [.descriptor] : resolutions)
        let explainSeconds = Date().timeIntervalSince(start)
        let target = explanation.relevance.target
        // one full encoding and scoring on this thread: the cost incremental re-scoring saves
        let t0 = CPUClock.thread()
        let encoder = try IncrementalFisherEncoder(model: model, image: image, threads: 1)
        let f0 = encoder.scores()[target]
        fullEncodeSeconds.append(CPUClock.thread() - t0)
        descriptorCounts.append(encoder.descriptorCount)
        var regionScores: [(id: String, scores: [Double])] = []
        for m in methods {
            switch m.kind {
            case .lrp:
                let res: FisherResolution = m.resolution == "bin" ? .bin : .descriptor
                regionScores.append((m.id, try grid.sums(explanation.maps[res]!.data)))
            case .random:
                regionScores.append((m.id, BaselineMaps.random(regions: grid.count, seed: settings.seed, image: index, family: .fisherVector)))
            case .centrePrior:
                regionScores.append((m.id, try grid.sums(BaselineMaps.centrePrior(width: space.width, height: space.height))))
            }
        }
        let pm = FisherPerturbationModel(encoder: encoder, space: space, target: target)
        let curves = try CurveEvaluation.curves(model: pm, original: image.pixels, regionScores: regionScores, grid: grid,
                                                noise: RegionNoise(seed: settings.seed, image: index), settings: settings)
        rescorings += pm.rescorings
        recomputed += pm.recomputed
        changed += pm.changed
        incrementalCoreSeconds += pm.coreSeconds
        let result = FamilyImageResult(family: .fisherVector, targetIndex: target, targetClass: model.classes[target],
                                       targetName: model.classNames[target], score: Double(f0), curves: curves,
                                       explainSeconds: explainSeconds, rescoreSeconds: pm.wallSeconds)
        return (result, space, grid)
    }

    /// How much incremental re-scoring saved so far.
    public var incrementalReport: IncrementalReport? {
        guard rescorings > 0, !fullEncodeSeconds.isEmpty else { return nil }
        let full = fullEncodeSeconds.reduce(0, +) / Double(fullEncodeSeconds.count)
        let inc = incrementalCoreSeconds / Double(rescorings)
        return IncrementalReport(descriptorsPerImage: Double(descriptorCounts.reduce(0, +)) / Double(descriptorCounts.count),
                                 recomputedPerRescore: Double(recomputed) / Double(rescorings),
                                 changedPerRescore: Double(changed) / Double(rescorings),
                                 fullRescoreSeconds: full, incrementalRescoreSeconds: inc, speedup: inc > 0 ? full / inc : 0)
    }
}
