import Foundation

/// The names of the files one explanation produces, shared by `lrp-cnn explain` and
/// `lrp-fv explain` (docs/DESIGN.md §5): `<stem>[.<variant>].relevance.npy` (C×H×W, when given),
/// `.heatmap.npy` (H×W), `.heatmap.png`, `.overlay.png` and `.json`.
public struct ExplanationFiles: Sendable {
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

    /// Writes this one set (all files or none); see `ExplanationWriter`.
    @discardableResult
    public func write(heatmap: NDArray, relevance: NDArray?, image: Image, summary: [String: Any],
                      colormap: Colormap = .lrp) throws -> [URL] {
        try ExplanationWriter(colormap: colormap).write(
            [ExplanationSet(files: self, heatmap: heatmap, relevance: relevance, picture: image, summary: summary)])
    }

    /// A file-name stem for an input path: its name without extension, made unique among
    /// `taken` by appending -2, -3, ... (two inputs `a/x.jpg` and `b/x.jpg` must not collide).
    public static func stem(for input: URL, taken: inout Set<String>) -> String {
        unique(input.deletingPathExtension().lastPathComponent, taken: &taken)
    }

    /// `base`, or `base-2`, `base-3`, ... if taken; the result is added to `taken`.
    public static func unique(_ base: String, taken: inout Set<String>) -> String {
        var name = base, n = 2
        while taken.contains(name) { name = "\(base)-\(n)"; n += 1 }
        taken.insert(name)
        return name
    }
}

/// One explanation of an image, ready to be written as an `ExplanationFiles` set.
public struct ExplanationSet {
    public var files: ExplanationFiles
    /// H×W map; also drawn as `.heatmap.png` and over `picture` as `.overlay.png`.
    public var heatmap: NDArray
    /// C×H×W input relevance (`.relevance.npy`), if the family has one.
    public var relevance: NDArray?
    /// The picture the map lies on (same H×W as `heatmap`).
    public var picture: Image
    /// Becomes the `.json` file (non-finite numbers become null).
    public var summary: [String: Any]

    public init(files: ExplanationFiles, heatmap: NDArray, relevance: NDArray?, picture: Image, summary: [String: Any]) {
        precondition(heatmap.shape.count == 2, "a heatmap is H×W")
        self.files = files
        self.heatmap = heatmap
        self.relevance = relevance
        self.picture = picture
        self.summary = summary
    }
}

/// Which files of an explanation set are written (`lrp-cnn explain --outputs`, docs/DESIGN.md
/// §5.4): `relevance` (`.relevance.npy`), `heatmap` (`.heatmap.npy`), `png` (`.heatmap.png`),
/// `overlay` (`.overlay.png`), `json` (`.json`). Default: all.
public struct ExplanationOutputs: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let relevance = ExplanationOutputs(rawValue: 1)
    public static let heatmap = ExplanationOutputs(rawValue: 2)
    public static let png = ExplanationOutputs(rawValue: 4)
    public static let overlay = ExplanationOutputs(rawValue: 8)
    public static let json = ExplanationOutputs(rawValue: 16)
    public static let all: ExplanationOutputs = [.relevance, .heatmap, .png, .overlay, .json]

    /// The names in file order, with the file suffix each one writes.
    public static let names: [(name: String, output: ExplanationOutputs, suffix: String)] = [
        ("relevance", .relevance, "relevance.npy"), ("heatmap", .heatmap, "heatmap.npy"),
        ("png", .png, "heatmap.png"), ("overlay", .overlay, "overlay.png"), ("json", .json, "json"),
    ]

    /// Parses a comma-separated list of names, e.g. "heatmap,json".
    /// - Throws: `LRPError` for an unknown name or an empty list.
    public init(parsing text: String) throws {
        var set: ExplanationOutputs = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let entry = Self.names.first(where: { $0.name == name }) else {
                throw LRPError("unknown output '\(name)' (expected a comma-separated list of "
                    + Self.names.map(\.name).joined(separator: ", ") + ")")
            }
            set.insert(entry.output)
        }
        guard !set.isEmpty else { throw LRPError("no output selected") }
        self = set
    }

    /// The file suffixes of the selected outputs, in file order (`relevance.npy`, …, `json`).
    public var suffixes: [String] { Self.names.filter { contains($0.output) }.map(\.suffix) }
}

/// Writes the explanation sets of one image all or none: everything is rendered in memory
/// first, each file is written atomically (temporary file + rename), and if any file fails the
/// files already written are removed, so no image is left with an incomplete output.
public struct ExplanationWriter {
    public var colormap: Colormap
    /// The files written per set (the relevance file only for sets that have a relevance).
    public var outputs: ExplanationOutputs

    public init(colormap: Colormap = .lrp, outputs: ExplanationOutputs = .all) {
        self.colormap = colormap
        self.outputs = outputs
    }

    /// Writes every set; returns the files written, in order.
    /// - Throws: the first write error (`LRPError` naming the file), after removing the others.
    @discardableResult
    public func write(_ sets: [ExplanationSet]) throws -> [URL] {
        var files: [(URL, (URL) throws -> Void)] = []
        for set in sets {
            let f = set.files
            let h = set.heatmap.shape[0], w = set.heatmap.shape[1]
            // only what is written is rendered
            if outputs.contains(.relevance), let relevance = set.relevance {
                let data = NPY.encode(relevance)
                files.append((f.url("relevance.npy"), { try AtomicFile.write(data, to: $0) }))
            }
            if outputs.contains(.heatmap) {
                let map = NPY.encode(set.heatmap)
                files.append((f.url("heatmap.npy"), { try AtomicFile.write(map, to: $0) }))
            }
            if outputs.contains(.png) {
                let colored = Heatmap.render(set.heatmap, colormap: colormap)
                files.append((f.url("heatmap.png"), {
                    try PNGFile.write(colored, width: w, height: h, channels: 3, encoding: .colourMap, to: $0)
                }))
            }
            if outputs.contains(.overlay) {
                let overlay = Heatmap.overlay(image: set.picture, map: set.heatmap)
                files.append((f.url("overlay.png"), {
                    try PNGFile.write(overlay, width: w, height: h, channels: 4, encoding: .stored, to: $0)
                }))
            }
            if outputs.contains(.json) {
                let json = try JSONOutput.encode(set.summary)
                files.append((f.url("json"), { try AtomicFile.write(json, to: $0) }))
            }
        }
        var written: [URL] = []
        do {
            try PendingFiles.writingSet {
                for (url, write) in files {
                    try write(url)
                    written.append(url)
                }
            }
        } catch {
            Self.remove(written)
            throw error
        }
        return written
    }

    /// Removes files (best effort), e.g. the sets of earlier images when a run is all or nothing.
    public static func remove(_ files: [URL]) {
        for f in files { try? FileManager.default.removeItem(at: f) }
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
