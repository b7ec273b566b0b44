import CNNRelevance
import FisherVectors
import Foundation
import LRPCore

/// What the report shows besides the models (docs/DESIGN.md §10.3).
public struct ReportSettings: Sendable {
    /// The CNN maps of the slider: K = 0 and every `cutoffStride`-th K (1: every K), plus the
    /// Figure-1 panel's K, so that the slider can show the panel's coarse map.
    public var cutoffStride: Int
    /// Longer side of each Figure-1 panel and of each slider map, pixels.
    public var panelSide: Int
    public var mapSide: Int
    public var colormap: Colormap

    public init(cutoffStride: Int = 4, panelSide: Int = 300, mapSide: Int = 320, colormap: Colormap = .lrp) {
        self.cutoffStride = cutoffStride
        self.panelSide = panelSide
        self.mapSide = mapSide
        self.colormap = colormap
    }
}

/// Makes the per-image part of the report (docs/DESIGN.md §10.3): both models explain one
/// photo (the CNN over the whole cut-off sweep in one forward pass), the Figure-1 panel is
/// rendered (§10.1), and every map of the sliders is drawn on the photo's own geometry. The
/// pictures go into `images/NNN/` of the report folder.
public final class ReportRun: @unchecked Sendable {
    public let pair: ModelPair
    public let settings: ReportSettings

    /// - Throws: `LRPError` for a stride below 1 or a panel or map size outside 64...2048.
    public init(pair: ModelPair, settings: ReportSettings) throws {
        guard settings.cutoffStride >= 1 else { throw LRPError("the cut-off stride must be at least 1 (got \(settings.cutoffStride))") }
        for (name, side) in [("panel", settings.panelSide), ("map", settings.mapSide)] where !(64...2048).contains(side) {
            throw LRPError("\(name) size must be between 64 and 2048 pixels (got \(side))")
        }
        self.pair = pair
        self.settings = settings
    }

    /// The sweep's cut-offs: 0, stride, 2·stride, … ≤ M, and `extra` (the panel's K).
    public func cutoffs(including extra: Int? = nil) -> [Int] {
        var ks = Set(stride(from: 0, through: pair.mappingLayerCount, by: settings.cutoffStride))
        if let extra { ks.insert(extra) }
        return ks.sorted()
    }

    /// Explains one photo and writes its panel and maps into `folder` under `images/NNN/`.
    /// - Throws: `LRPError` starting with the photo's path (unreadable or corrupt photo).
    public func image(_ url: URL, name: String, index: Int, folder: ReportFolder) throws -> ReportImage {
        let dir = String(format: "images/%03d", index)
        let (pw, ph, _): (Int, Int, Int)
        do { (pw, ph, _) = try Image.info(url) } catch let e as LRPError {
            throw LRPError(e.message.hasPrefix(url.path) ? e.message : "\(url.path): \(e.message)")
        }
        let match = pair.defaultCutoff(photoWidth: pw, photoHeight: ph)
        let ks = cutoffs(including: match.k)
        let e = try pair.explain(url, cutoffs: ks)
        do {
            let photo = try PhotoMap.displayPhoto(url, photoWidth: pw, photoHeight: ph, maxSide: settings.panelSide)
            let figure = try Figure1Renderer.render(e, pair: pair, lowCutoff: match.k, match: match, cutoffFromOption: false,
                                                    photo: photo, colormap: settings.colormap)
            let panel = try folder.write(figure.png, to: "\(dir)/panel.png")
            // Every map on the photo's geometry (one picture each, drawn in parallel).
            var jobs: [(key: String, label: String, file: String, map: NDArray, placement: GridPlacement)] = ks.map { k in
                let label = k == 0 ? "K = 0 (no cut-off)" : (k == match.k ? "K = \(k) (as in the panel)" : "K = \(k)")
                return ("\(k)", label, String(format: "\(dir)/cnn-k%02d.png", k), e.cnn.maps[k]!, e.cnn.placement)
            }
            let fvMaps = e.fv.explanation.maps
            guard let bin = fvMaps[.bin], let descriptor = fvMaps[.descriptor] else {
                throw LRPError("internal: the FV explanation lacks a resolution")
            }
            let cnnCount = jobs.count
            jobs.append(("bin", "SIFT bin (no cut-off)", "\(dir)/fv-bin.png", bin, e.fv.placement))
            jobs.append(("descriptor", "descriptor", "\(dir)/fv-descriptor.png", descriptor, e.fv.placement))
            let written = ParallelSlots<Result<Void, Error>>(count: jobs.count)
            Parallel.forEach(jobs.count) { i in
                let j = jobs[i]
                written.set(i, Result {
                    try PhotoMap.writePNG(j.map, placement: j.placement, photoWidth: pw, photoHeight: ph,
                                          maxSide: settings.mapSide, colormap: settings.colormap, to: folder.url(j.file))
                })
            }
            _ = try written.values()
            let maps = jobs.map { ReportMap(key: $0.key, label: $0.label, file: $0.file) }
            let cnnTop = e.cnn.ranking[0]
            return ReportImage(
                name: name, className: e.className,
                cnn: ReportModelResult(model: "\(pair.cnnURL.lastPathComponent) (\(pair.classNames.count) classes)",
                                       score: Double(e.cnn.target.logit), predicted: pair.classNames[cnnTop.outputIndex],
                                       detail: "\(pair.planDescription); panel K = \(match.k)"),
                fv: ReportModelResult(model: pair.fvURL.lastPathComponent, score: Double(e.fv.score),
                                      predicted: pair.classNames[e.fv.predicted],
                                      detail: String(format: "ε = %g, ε' = %g", Double(pair.options.fvEpsilon), Double(pair.options.fvPCAEpsilon))),
                panel: panel, cnnMaps: Array(maps[..<cnnCount]), fvMaps: Array(maps[cnnCount...]))
        } catch let err as LRPError where !err.message.hasPrefix(url.path) {
            throw LRPError("\(url.path): \(err.message)")
        }
    }

    /// Every photo, in order; `progress` gets one event per finished photo. The photos are done
    /// one after another: explaining and drawing already use both cores.
    public func images(_ entries: [(url: URL, name: String)], folder: ReportFolder,
                       progress: ProgressHandler? = nil) throws -> [ReportImage] {
        var out: [ReportImage] = []
        for (i, entry) in entries.enumerated() {
            out.append(try image(entry.url, name: entry.name, index: i, folder: folder))
            progress?(ProgressEvent(stage: "figures and maps", done: i + 1, total: entries.count, detail: entry.name))
        }
        return out
    }
}
