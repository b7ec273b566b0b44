import Foundation
import LRPCore

/// Writes a faithfulness run's files (docs/DESIGN.md §10.2) all-or-nothing: every file goes into
/// a hidden temporary folder next to the output folder, which is renamed into place only when
/// all are written (an existing output folder is replaced only then).
///
/// Files: `faithfulness.json` (the whole `FaithfulnessResult`), `curves.csv` and `curves.json`
/// (per image, method and order, f at every scored step), `table.md`, `curves.png`, `curves.svg`.
public enum FaithfulnessOutput {
    public static let fileNames = ["faithfulness.json", "curves.csv", "curves.json", "table.md", "curves.png", "curves.svg"]

    public static func write(_ result: FaithfulnessResult, to dir: URL) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw LRPError("\(dir.path) exists and is not a directory")
        }
        let parent = dir.deletingLastPathComponent()
        try AtomicFile.ensureDirectory(parent)
        let tmp = parent.appendingPathComponent(".\(dir.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? fm.removeItem(at: tmp) }
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
        } catch {
            throw LRPError("cannot create a folder in \(parent.path): \(error.localizedDescription)")
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try enc.encode(result), to: tmp.appendingPathComponent("faithfulness.json"))
        try AtomicFile.write(Data(csv(result).utf8), to: tmp.appendingPathComponent("curves.csv"))
        try AtomicFile.write(try enc.encode(CurvesFile(result)), to: tmp.appendingPathComponent("curves.json"))
        try AtomicFile.write(Data(FaithfulnessTable.markdown(result).utf8), to: tmp.appendingPathComponent("table.md"))
        try AtomicFile.write(try CurvePlot.draw(result, kind: .raster).pngData(), to: tmp.appendingPathComponent("curves.png"))
        try AtomicFile.write(try CurvePlot.draw(result, kind: .vector).finishSVG(), to: tmp.appendingPathComponent("curves.svg"))
        // swap in: an old folder is moved aside first and removed after the rename
        var old: URL?
        if fm.fileExists(atPath: dir.path) {
            let aside = parent.appendingPathComponent(".\(dir.lastPathComponent).old-\(getpid())")
            guard rename(dir.path, aside.path) == 0 else {
                throw LRPError("cannot replace \(dir.path): \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(tmp.path, dir.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old.path, dir.path) }
            throw LRPError("cannot write \(dir.path): \(reason)")
        }
        if let old { try? fm.removeItem(at: old) }
    }

    /// image,label,family,method,order,step,score,drop — one row per scored point.
    public static func csv(_ r: FaithfulnessResult) -> String {
        var s = "image,label,family,method,order,step,score,drop\n"
        for img in r.images {
            for fam in img.families {
                for c in fam.curves {
                    for (order, values) in [(PerturbationOrder.morf, c.morf), (.lerf, c.lerf)] {
                        for (k, v) in zip(r.scoredSteps, values) {
                            s += "\(quoted(img.path)),\(quoted(img.label ?? "")),\(fam.family.rawValue),\(quoted(c.methodID)),"
                            s += "\(order.rawValue),\(k),\(v),\(values[0] - v)\n"
                        }
                    }
                }
            }
        }
        return s
    }

    static func quoted(_ v: String) -> String {
        v.contains(",") || v.contains("\"") ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v
    }

    /// `curves.json`: the scored steps, per method its mean drops, and per image its curves.
    struct CurvesFile: Encodable {
        struct Method: Encodable {
            var method: String
            var meanDropMoRF: [Double]
            var meanDropLeRF: [Double]
            var images: [ImageCurve]
        }
        struct ImageCurve: Encodable {
            var image: String
            var morf: [Double]
            var lerf: [Double]
        }
        var scoredSteps: [Int]
        var methods: [Method]

        init(_ r: FaithfulnessResult) {
            scoredSteps = r.scoredSteps
            methods = r.methods.map { m in
                Method(method: m.method.id, meanDropMoRF: m.meanDropMoRF, meanDropLeRF: m.meanDropLeRF,
                       images: r.images.compactMap { img in
                           img.families.first { $0.family == m.method.family }?.curves.first { $0.methodID == m.method.id }
                               .map { ImageCurve(image: img.path, morf: $0.morf, lerf: $0.lerf) }
                       })
            }
        }
    }
}
