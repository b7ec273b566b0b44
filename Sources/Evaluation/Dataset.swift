import Foundation
import LRPCore

/// How a dataset's files are organised (docs/DESIGN.md §5).
public enum DatasetLayout: String, CaseIterable, Sendable {
    /// `<root>/<split>/<class>/*.JPEG` — one class per image (ImageNet, Imagenette).
    case imagenet
    /// `<root>/JPEGImages/<id>.jpg` with labels in `<root>/ImageSets/Main/<class>_<split>.txt`
    /// (1 present, −1 absent, 0 difficult only) — several classes per image (PASCAL VOC).
    case voc
}

/// One image of a dataset with its label for every class of the dataset.
public struct DatasetItem: Sendable, Equatable {
    public var url: URL
    /// Image id: the VOC id, or `<class>/<file name>` for the ImageNet layout.
    public var id: String
    /// Per class: 1 (present), −1 (absent), 0 (ignored by the evaluation).
    public var labels: [Int8]
}

/// The images of one split of a dataset and their labels.
public struct Dataset: Sendable {
    public var root: URL
    public var layout: DatasetLayout
    public var split: String
    /// Class identifiers in label order: folder names (e.g. WordNet ids) or VOC class names.
    public var classes: [String]
    public var items: [DatasetItem]
    /// Problems that were skipped rather than fatal, one line each (e.g. an empty class folder,
    /// a listed image whose file is missing). Callers report them with their count.
    public var warnings: [String]

    /// Human-readable class names where known (Imagenette's WordNet ids), else the ids.
    public var classNames: [String] { classes.map { ClassNames.displayName(for: $0) } }

    /// True when every item has exactly one positive label (ImageNet layout).
    public var isSingleLabel: Bool { items.allSatisfy { $0.labels.filter { $0 > 0 }.count == 1 } }

    /// Index of the one positive class of an item of a single-label dataset.
    public func classIndex(of item: DatasetItem) -> Int? {
        let positives = item.labels.indices.filter { item.labels[$0] > 0 }
        return positives.count == 1 ? positives[0] : nil
    }

    /// Reads a dataset split.
    /// - Parameters:
    ///   - requireImages: skip (with a warning) listed images whose file does not exist; set it
    ///     to false to read only the label structure.
    /// - Throws: `LRPError` if the split does not exist or holds no usable class.
    public static func load(root: URL, layout: DatasetLayout, split: String,
                            requireImages: Bool = true) throws -> Dataset {
        switch layout {
        case .imagenet: return try ImageFolderReader.read(root: root, split: split)
        case .voc: return try VOCReader.read(root: root, split: split, requireImages: requireImages)
        }
    }
}

/// `<root>/<split>/<class>/<image>` folders.
enum ImageFolderReader {
    static let imageExtensions: Set<String> = ["jpeg", "jpg", "png"]

    static func read(root: URL, split: String) throws -> Dataset {
        let fm = FileManager.default
        let splitDir = root.appendingPathComponent(split)
        guard isDirectory(splitDir) else {
            throw LRPError("dataset split folder \(splitDir.path) does not exist (expected <dataset>/\(split)/<class>/*.JPEG)")
        }
        let classDirs = ((try? fm.contentsOfDirectory(atPath: splitDir.path)) ?? [])
            .filter { !$0.hasPrefix(".") && isDirectory(splitDir.appendingPathComponent($0)) }
            .sorted()
        var classes: [String] = [], files: [[String]] = [], warnings: [String] = []
        for name in classDirs {
            let images = ((try? fm.contentsOfDirectory(atPath: splitDir.appendingPathComponent(name).path)) ?? [])
                .filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted()
            if images.isEmpty {
                warnings.append("class folder \(name) has no images: skipped")
                continue
            }
            classes.append(name)
            files.append(images)
        }
        guard !classes.isEmpty else {
            throw LRPError("dataset split folder \(splitDir.path) has no class folder with images")
        }
        var items: [DatasetItem] = []
        for (c, images) in files.enumerated() {
            for file in images {
                var labels = [Int8](repeating: -1, count: classes.count)
                labels[c] = 1
                items.append(DatasetItem(url: splitDir.appendingPathComponent(classes[c]).appendingPathComponent(file),
                                         id: "\(classes[c])/\(file)", labels: labels))
            }
        }
        return Dataset(root: root, layout: .imagenet, split: split, classes: classes, items: items, warnings: warnings)
    }
}

/// PASCAL VOC: `ImageSets/Main/<class>_<split>.txt` label files and `JPEGImages/<id>.jpg`.
public enum VOCReader {
    /// The `<image id> <1|-1|0>` lines of one label file (blank lines skipped), in file order.
    /// - Throws: `LRPError` naming the file and line of the first malformed line.
    public static func parseLabelFile(_ text: String, file: String) throws -> [(id: String, label: Int8)] {
        var out: [(id: String, label: Int8)] = []
        for (n, rawLine) in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2, let label = Int8(fields[1]), [-1, 0, 1].contains(label) else {
                throw LRPError("\(file) line \(n + 1): expected '<image id> <1|-1|0>', got '\(rawLine)'")
            }
            out.append((String(fields[0]), label))
        }
        return out
    }

    static func read(root: URL, split: String, requireImages: Bool) throws -> Dataset {
        let fm = FileManager.default
        let main = root.appendingPathComponent("ImageSets/Main")
        guard isDirectory(main) else {
            throw LRPError("\(root.path) is not a VOC dataset: no ImageSets/Main folder")
        }
        let suffix = "_\(split).txt"
        let classFiles = ((try? fm.contentsOfDirectory(atPath: main.path)) ?? [])
            .filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }
            .sorted()
        guard !classFiles.isEmpty else {
            throw LRPError("no VOC label files *\(suffix) in \(main.path)")
        }
        var classes: [String] = []
        var labelsById: [String: [Int8]] = [:]
        var order: [String] = []
        var warnings: [String] = []
        for (c, file) in classFiles.enumerated() {
            classes.append(String(file.dropLast(suffix.count)))
            let text: String
            do { text = try String(contentsOf: main.appendingPathComponent(file), encoding: .utf8) } catch {
                throw LRPError("cannot read \(main.appendingPathComponent(file).path)")
            }
            for (id, label) in try parseLabelFile(text, file: file) {
                if labelsById[id] == nil {
                    labelsById[id] = [Int8](repeating: -1, count: classFiles.count)
                    order.append(id)
                }
                labelsById[id]![c] = label
            }
        }
        // Images missing from a class file are absent for that class (the devkit's files list
        // every image, so this only matters for hand-made subsets).
        var items: [DatasetItem] = []
        var missing = 0
        for id in order {
            let url = root.appendingPathComponent("JPEGImages/\(id).jpg")
            if requireImages && !fm.fileExists(atPath: url.path) { missing += 1; continue }
            items.append(DatasetItem(url: url, id: id, labels: labelsById[id]!))
        }
        if missing > 0 { warnings.append("\(missing) listed images have no file in JPEGImages/: skipped") }
        guard !items.isEmpty else { throw LRPError("VOC split \(split) in \(root.path) has no images") }
        return Dataset(root: root, layout: .voc, split: split, classes: classes, items: items, warnings: warnings)
    }
}

private func isDirectory(_ url: URL) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
}
