import Foundation
import LRPCore

/// Everything a Fisher-vector explanation run needs besides the model and the images.
public struct FisherExplainSettings: Sendable {
    /// Class to explain: an index, a class id or a class name; nil for each image's prediction.
    public var target: String?
    /// Resolutions to write, in this order; each gives one file set named by its raw value.
    public var resolutions: [FisherResolution]
    public var epsilon: Float
    public var pcaEpsilon: Float
    public var colormap: Colormap
    public var outputDirectory: URL

    public init(target: String?, resolutions: [FisherResolution], epsilon: Float = 100, pcaEpsilon: Float = 100,
                colormap: Colormap = .lrp, outputDirectory: URL) {
        self.target = target
        self.resolutions = resolutions
        self.epsilon = epsilon
        self.pcaEpsilon = pcaEpsilon
        self.colormap = colormap
        self.outputDirectory = outputDirectory
    }
}

/// What one explained image produced, for the executable to report.
public struct FisherExplainedImage: Sendable {
    public var input: URL
    public var predictedName: String
    public var targetName: String
    public var score: Float
    public var files: [URL]
}

/// Explains images with a Fisher-vector model and writes one `ExplanationFiles` set per image
/// and resolution, image by image; each image's sets are all written or none
/// (docs/DESIGN.md §7.5).
public final class FisherExplainRun {
    public let model: FisherVectorModel
    public let settings: FisherExplainSettings
    private let targetIndex: Int?

    /// - Throws: `LRPError` for an unknown target class, negative epsilons or no resolution.
    public init(model: FisherVectorModel, settings: FisherExplainSettings) throws {
        guard !settings.resolutions.isEmpty else { throw LRPError("no resolution given") }
        guard settings.epsilon >= 0, settings.epsilon.isFinite, settings.pcaEpsilon >= 0, settings.pcaEpsilon.isFinite else {
            throw LRPError("epsilon values must be non-negative and finite")
        }
        if let target = settings.target {
            guard let t = model.classIndex(target) else {
                throw LRPError("target class '\(target)' is unknown: give an index 0…\(model.classes.count - 1), a class id or a class name")
            }
            targetIndex = t
        } else {
            targetIndex = nil
        }
        self.model = model
        self.settings = settings
    }

    /// Explains and writes every image, one at a time; returns what each produced, in input
    /// order. Paths are shown as given (`relativePath`). An image that fails (unreadable, too
    /// large, a non-finite result, a failed write) goes to `onFailure` and the others are still
    /// explained unless the handler throws (docs/DESIGN.md §7.5); each image's output is all its
    /// sets or nothing.
    @discardableResult
    public func run(_ images: [URL], onFailure: ItemFailureHandler = stopAtFirstFailure,
                    onImage: (FisherExplainedImage) throws -> Void = { _ in }) throws -> [FisherExplainedImage] {
        guard !images.isEmpty else { throw LRPError("no input images given") }
        var taken = Set<String>()
        var done: [FisherExplainedImage] = []
        let writer = ExplanationWriter(colormap: settings.colormap)
        for url in images {
            do {
                var (image, sets) = try explain(url, taken: &taken)
                image.files = try writer.write(sets)
                try onImage(image)
                done.append(image)
            } catch {
                try onFailure(url, error)
            }
        }
        return done
    }

    /// One image's explanation and the sets to write (nothing is written yet).
    private func explain(_ url: URL, taken: inout Set<String>) throws -> (FisherExplainedImage, [ExplanationSet]) {
        let image = try ImageEncoder.loadImage(url)
        let started = Date()
        let explanation: FisherExplanation
        do {
            explanation = try FisherExplainer.explain(model: model, image: image, target: targetIndex,
                                                      resolutions: Set(settings.resolutions),
                                                      epsilon: settings.epsilon, pcaEpsilon: settings.pcaEpsilon)
        } catch let e as LRPError { throw LRPError("\(url.relativePath): \(e.message)") }
        let seconds = Date().timeIntervalSince(started)
        let stem = ExplanationFiles.stem(for: url, taken: &taken)
        var sets: [ExplanationSet] = []
        for r in settings.resolutions {
            guard let map = explanation.maps[r] else { continue }
            var summary = explanation.summary(model: model, resolution: r, input: url.relativePath)
            summary["timeSeconds"] = seconds
            summary["timeNote"] = "dense SIFT + Fisher vector + scores + relevance at every requested resolution of this image"
            sets.append(ExplanationSet(files: ExplanationFiles(directory: settings.outputDirectory, stem: stem, variant: r.rawValue),
                                       heatmap: map, relevance: nil, picture: image, summary: summary))
        }
        let rel = explanation.relevance
        let predicted = rel.scores.indices.max { rel.scores[$0] < rel.scores[$1] }!
        return (FisherExplainedImage(input: url, predictedName: model.classNames[predicted],
                                     targetName: model.classNames[rel.target], score: rel.score, files: []), sets)
    }
}
