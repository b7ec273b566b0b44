import Foundation
import LRPCore

/// The images of a report (docs/DESIGN.md §10.3). Without a folder: the fixed default subset,
/// the first 10 images by sorted file name of each class of Imagenette's `val` split (100
/// images), found at `$LRP_IMAGENETTE/val`, else at `../shared/data/imagenette/val` next to the
/// repository (the working folder or a folder above the executable). Any folder works the same
/// way through `ImageList` (docs/DESIGN.md §10.2): a split in ImageNet layout `DIR/<wnid>/*.JPEG`
/// (first `perClass` per class) or a plain folder of pictures.
public enum ReportDataset {
    public static let defaultPerClass = 10

    /// The default dataset split folder.
    /// - Throws: `LRPError` saying where it looked.
    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     workingDirectory: String = FileManager.default.currentDirectoryPath,
                                     executable: String = CommandLine.arguments.first ?? "") throws -> URL {
        let fm = FileManager.default
        if let root = environment["LRP_IMAGENETTE"], !root.isEmpty {
            let val = URL(fileURLWithPath: root).appendingPathComponent("val")
            guard fm.fileExists(atPath: val.path) else {
                throw LRPError("$LRP_IMAGENETTE is \(root), but \(val.path) does not exist (set it to the Imagenette root holding val/)")
            }
            return val
        }
        // The repository is the working folder or a folder above the executable; the dataset
        // sits next to it in shared/data.
        var roots = [URL(fileURLWithPath: workingDirectory)]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            roots.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        let candidates = roots.map {
            $0.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("shared/data/imagenette/val")
        }
        if let found = candidates.first(where: { fm.fileExists(atPath: $0.path) }) { return found }
        throw LRPError("the default dataset ../shared/data/imagenette/val was not found next to the repository (set LRP_IMAGENETTE to the Imagenette root, or give a folder)")
    }

    /// The report's images: `(url, shown name)`, the name `<class>/<file>` for dataset images.
    public static func entries(_ list: [ImageList.Entry]) -> [(url: URL, name: String)] {
        list.map { e in (e.url, e.label.map { "\($0)/\(e.url.lastPathComponent)" } ?? e.url.lastPathComponent) }
    }
}

/// The faithfulness section of the report from a faithfulness run (docs/DESIGN.md §10.2, §10.3).
public enum ReportFaithfulnessSection {
    /// `files` are the run's files inside the report folder (`faithfulness/…`).
    public static func make(_ r: FaithfulnessResult, folder: String = "faithfulness") -> ReportFaithfulness {
        let best = Set(r.conclusions.compactMap(\.best))
        var rows: [[String]] = [], bold: [Int] = []
        for m in r.methods {
            if best.contains(m.method.id) { bold.append(rows.count) }
            rows.append([m.method.family.displayName, m.method.label, m.aopcMoRF.formatted(), m.aopcLeRF.formatted(), m.abpc.formatted()])
        }
        let s = r.settings
        let caption = "\(r.timing.images) images; \(s.regionSize)×\(s.regionSize) regions, L = \(s.steps), re-scored every \(s.every) steps; "
            + "mean [95% bootstrap interval]; bold: the most faithful depth per family"
        let table = ReportTable(caption: caption, header: ["family", "method", "AOPC MoRF", "AOPC LeRF", "ABPC"], rows: rows,
                                emphasized: bold)
        var findings = r.conclusions.map(\.statement)
        findings.append(String(format: "Faithfulness run: %.1f min for %d images (%.1f s per image, %d workers).",
                               r.timing.totalSeconds / 60, r.timing.images, r.timing.secondsPerImage, r.timing.workers))
        let files = [("per-step curves (CSV)", "curves.csv"), ("curves (JSON)", "curves.json"), ("plot (SVG)", "curves.svg"),
                     ("table (Markdown)", "table.md"), ("everything measured (JSON)", "faithfulness.json")]
        return ReportFaithfulness(table: table, plot: "\(folder)/curves.png",
                                  files: files.map { ReportLink(label: $0.0, file: "\(folder)/\($0.1)") }, findings: findings)
    }
}
