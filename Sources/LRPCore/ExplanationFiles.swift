import Foundation

/// The files one explanation produces, shared by `lrp-cnn explain` and `lrp-fv explain`
/// (DESIGN §5): `<stem>[.<variant>].relevance.npy` (C×H×W, when given), `.heatmap.npy` (H×W),
/// `.heatmap.png`, `.overlay.png` and `.json`.
///
/// Everything is rendered in memory first and each file is written atomically, so a failure
/// leaves no half-written file; if one file of the set fails, the others written are removed.
public struct ExplanationFiles {
    public var directory: URL
    public var stem: String
    /// Distinguishes several explanations of one image, e.g. "cutoff-3" or "bin"; nil for none.
    public var variant: String?

    public init(directory: URL, stem: String, variant: String? = nil) {
        self.directory = directory
        self.stem = stem
        self.variant = variant
    }

    /// Path of one of the files, e.g. `url("heatmap.png")`.
    public func url(_ suffix: String) -> URL {
        let base = variant.map { "\(stem).\($0)" } ?? stem
        return directory.appendingPathComponent("\(base).\(suffix)")
    }

    /// Writes the set. `image` is the picture the map lies on (same H×W as `heatmap`).
    /// `summary` becomes the JSON file (non-finite numbers become null).
    @discardableResult
    public func write(heatmap: NDArray, relevance: NDArray?, image: Image, summary: [String: Any],
                      colormap: Colormap = .lrp) throws -> [URL] {
        precondition(heatmap.shape.count == 2)
        let h = heatmap.shape[0], w = heatmap.shape[1]
        let colored = Heatmap.render(heatmap, colormap: colormap)
        let overlay = Heatmap.overlay(image: image, map: heatmap)
        let json = try JSONOutput.encode(summary)
        var written: [URL] = []
        do {
            if let relevance {
                try NPY.write(relevance, to: url("relevance.npy")); written.append(url("relevance.npy"))
            }
            try NPY.write(heatmap, to: url("heatmap.npy")); written.append(url("heatmap.npy"))
            try PNGFile.write(colored, width: w, height: h, channels: 3, to: url("heatmap.png")); written.append(url("heatmap.png"))
            try PNGFile.write(overlay, width: w, height: h, channels: 4, to: url("overlay.png")); written.append(url("overlay.png"))
            try AtomicFile.write(json, to: url("json")); written.append(url("json"))
        } catch {
            // No incomplete set: take back the files of this set that were written.
            Self.remove(written)
            throw error
        }
        return written
    }

    /// Removes files (best effort), e.g. the sets of an explanation whose writing failed.
    public static func remove(_ files: [URL]) {
        for f in files { try? FileManager.default.removeItem(at: f) }
    }

    /// A file-name stem for an input path: its name without extension, made unique among
    /// `taken` by appending -2, -3, ... (two inputs `a/x.jpg` and `b/x.jpg` must not collide).
    public static func stem(for input: URL, taken: inout Set<String>) -> String {
        let base = input.deletingPathExtension().lastPathComponent
        var name = base, n = 2
        while taken.contains(name) { name = "\(base)-\(n)"; n += 1 }
        taken.insert(name)
        return name
    }
}

/// JSON with sorted keys and non-finite numbers replaced by null (JSON has no NaN).
public enum JSONOutput {
    public static func encode(_ object: Any) throws -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: sanitize(object), options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw LRPError("cannot encode JSON summary: \(error.localizedDescription)")
        }
    }

    static func sanitize(_ value: Any) -> Any {
        switch value {
        case let d as [String: Any]: return d.mapValues(sanitize)
        case let a as [Any]: return a.map(sanitize)
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let d as Double: return d.isFinite ? d : NSNull()
        default: return value
        }
    }
}
