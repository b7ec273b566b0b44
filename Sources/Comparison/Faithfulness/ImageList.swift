import Evaluation
import FisherVectors
import Foundation
import LRPCore

/// The images of a faithfulness run (docs/DESIGN.md §10.2): files as given, a folder of pictures,
/// or a dataset split in ImageNet layout `DIR/<wnid>/*.JPEG`, of which the first `perClass`
/// images per class by sorted file name are taken (the documented fixed subset).
public enum ImageList {
    public struct Entry: Sendable, Equatable {
        public var url: URL
        /// Class folder of a dataset image.
        public var label: String?
    }

    static let extensions: Set<String> = ["jpeg", "jpg", "png"]

    public static func resolve(_ paths: [String], perClass: Int?, limit: Int?) throws -> [Entry] {
        var out: [Entry] = []
        let fm = FileManager.default
        for p in paths {
            let url = URL(fileURLWithPath: p)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else { throw LRPError("\(p): no such file or folder") }
            guard isDir.boolValue else { out.append(Entry(url: url, label: nil)); continue }
            let names = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            let pictures = names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            let subdirs = names.filter { var d: ObjCBool = false; return fm.fileExists(atPath: url.appendingPathComponent($0).path, isDirectory: &d) && d.boolValue }
            if !pictures.isEmpty {
                out += pictures.map { Entry(url: url.appendingPathComponent($0), label: nil) }
            } else if !subdirs.isEmpty {
                // ImageNet layout: the folder is a split of a dataset
                let ds = try Dataset.load(root: url.deletingLastPathComponent(), layout: .imagenet, split: url.lastPathComponent)
                var taken: [String: Int] = [:]
                for item in ds.items {
                    let c = ds.classIndex(of: item).map { ds.classes[$0] }
                    if let perClass, let c {
                        if taken[c, default: 0] >= perClass { continue }
                        taken[c, default: 0] += 1
                    }
                    out.append(Entry(url: item.url, label: c))
                }
            } else {
                throw LRPError("\(p): the folder holds no images (JPEG or PNG, directly or in class folders)")
            }
        }
        if let limit { out = Array(out.prefix(limit)) }
        guard !out.isEmpty else { throw LRPError("no input images given") }
        return out
    }

    /// Decodes every image once (in parallel); the first that cannot be read is an error naming it.
    public static func checkDecodable(_ entries: [Entry]) throws {
        let slots = ParallelSlots<Result<Void, Error>>(count: entries.count)
        Parallel.forEach(entries.count) { i in
            slots.set(i, Result { _ = try ImageEncoder.loadImage(entries[i].url) })
        }
        _ = try slots.values()
    }
}
