import CNNRelevance
import Foundation
import LRPCore

/// Settings of `lrp-compare figure` besides the models (docs/DESIGN.md §10.1).
public struct FigureSettings: Sendable {
    /// Low-resolution CNN cut-off; nil: per photo, the K whose receptive field is closest to the
    /// FV descriptor support (`CutoffMatch`).
    public var cutoff: Int?
    /// Class to explain (FV class name, WordNet id or index); nil: the FV model's prediction.
    public var target: String?
    /// Longer side of each panel (the photo's display size), pixels.
    public var panelSide: Int
    public var colormap: Colormap
    public var outputDirectory: URL

    public init(cutoff: Int? = nil, target: String? = nil, panelSide: Int = 300, colormap: Colormap = .lrp,
                outputDirectory: URL) {
        self.cutoff = cutoff
        self.target = target
        self.panelSide = panelSide
        self.colormap = colormap
        self.outputDirectory = outputDirectory
    }
}

/// What one photo's figure holds, for the executable to print.
public struct FigureResult: Sendable {
    public var source: URL
    public var files: [URL]
    public var className: String
    public var cnnLogit: Float
    public var fvScore: Float
    public var cutoff: Int
    public var match: CutoffMatch
}

/// Makes the Figure-1 PNG and its JSON for photos, one at a time (docs/DESIGN.md §10.1).
/// A photo's two files are written atomically and together: if the second cannot be written,
/// the first is removed.
public final class FigureRun: @unchecked Sendable {
    public let pair: ModelPair
    public let settings: FigureSettings
    private let targetIndex: Int?

    /// - Throws: `LRPError` for an unknown class, a cut-off out of range or a panel size outside 64...2048.
    public init(pair: ModelPair, settings: FigureSettings) throws {
        if let target = settings.target {
            guard let t = pair.classIndex(target) else {
                throw LRPError("class '\(target)' is unknown to the FV model (classes: \(pair.classNames.joined(separator: ", ")))")
            }
            targetIndex = t
        } else {
            targetIndex = nil
        }
        if let k = settings.cutoff, k < 0 || k > pair.mappingLayerCount {
            throw LRPError("cut-off \(k) out of range: this model has \(pair.mappingLayerCount) conv/linear layers (0...\(pair.mappingLayerCount))")
        }
        guard (64...2048).contains(settings.panelSide) else {
            throw LRPError("panel size must be between 64 and 2048 pixels (got \(settings.panelSide))")
        }
        self.pair = pair
        self.settings = settings
    }

    /// The cut-off for a photo and the receptive-field comparison behind it.
    public func cutoff(photoWidth: Int, photoHeight: Int) -> (k: Int, match: CutoffMatch, fromOption: Bool) {
        let match = pair.defaultCutoff(photoWidth: photoWidth, photoHeight: photoHeight)
        if let k = settings.cutoff { return (k, match, true) }
        return (match.k, match, false)
    }

    /// Explains a photo with both models and renders its figure (nothing written).
    /// - Throws: `LRPError` starting with the photo's path.
    public func figure(_ url: URL) throws -> (figure: Figure1, explanation: PairExplanation, cutoff: Int, match: CutoffMatch) {
        let (pw, ph, _): (Int, Int, Int)
        do { (pw, ph, _) = try Image.info(url) } catch let e as LRPError {
            throw LRPError(e.message.hasPrefix(url.path) ? e.message : "\(url.path): \(e.message)")
        }
        let (k, match, fromOption) = cutoff(photoWidth: pw, photoHeight: ph)
        let e = try pair.explain(url, target: targetIndex, cutoffs: k == 0 ? [0] : [0, k])
        do {
            let photo = try PhotoMap.displayPhoto(url, photoWidth: pw, photoHeight: ph, maxSide: settings.panelSide)
            let figure = try Figure1Renderer.render(e, pair: pair, lowCutoff: k, match: match, cutoffFromOption: fromOption,
                                                    photo: photo, colormap: settings.colormap)
            return (figure, e, k, match)
        } catch let err as LRPError {
            throw LRPError("\(url.path): \(err.message)")
        }
    }

    /// Makes and writes `<stem>.figure1.png` and `<stem>.figure1.json` in the output folder.
    public func write(_ url: URL, stem: String) throws -> FigureResult {
        let (figure, e, k, match) = try self.figure(url)
        let png = settings.outputDirectory.appendingPathComponent("\(stem).figure1.png")
        let json = settings.outputDirectory.appendingPathComponent("\(stem).figure1.json")
        var summary = figure.summary
        summary["files"] = [png.lastPathComponent, json.lastPathComponent]
        let jsonData = try JSONOutput.encode(summary)
        try PendingFiles.writingSet {
            try AtomicFile.write(figure.png, to: png)
            do { try AtomicFile.write(jsonData, to: json) } catch {
                try? FileManager.default.removeItem(at: png)
                throw error
            }
        }
        return FigureResult(source: url, files: [png, json], className: e.className, cnnLogit: e.cnn.target.logit,
                            fvScore: e.fv.score, cutoff: k, match: match)
    }
}
