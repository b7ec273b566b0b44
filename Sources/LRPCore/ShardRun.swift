import Foundation

/// One shard's work in its folder `<out>/<shard.folderName>/`: starts a manifest, or resumes
/// the one a previous run left (which must describe the same work), and records each finished
/// item. Items whose recorded outputs no longer match their checksum are done again.
public final class ShardRun {
    public let folder: URL
    public private(set) var manifest: ShardManifest
    /// Set when an unreadable manifest was replaced (for a warning).
    public private(set) var restartNote: String?

    /// - Parameters:
    ///   - output: the run's output folder; the shard works in its subfolder.
    ///   - fresh: the manifest of this shard with every item pending.
    /// - Throws: `LRPError` if the folder holds a manifest of other work (another model,
    ///   options, item list or shard) or a corrupt one.
    public init(output: URL, fresh: ShardManifest) throws {
        let shard = try fresh.shard
        folder = output.appendingPathComponent(shard.folderName)
        try AtomicFile.ensureDirectory(folder)
        let path = folder.appendingPathComponent(ShardManifest.fileName).path
        if FileManager.default.fileExists(atPath: path), (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) == nil {
            // Not JSON at all (a truncated file): nothing of it can be trusted; start over.
            restartNote = "\(path) was unreadable; the shard starts over"
            manifest = fresh
        } else if FileManager.default.fileExists(atPath: path) {
            let old = try ShardManifest.read(from: folder)
            guard old.sameRun(as: fresh) else {
                let what = old.modelSHA256 != fresh.modelSHA256 ? "another model"
                    : old.options != fresh.options ? "other options" : "another run (tool, command or item list)"
                throw LRPError("\(folder.path) holds a shard of \(what); remove it or choose another output folder")
            }
            manifest = old
            manifest.context = fresh.context
        } else {
            manifest = fresh
        }
    }

    /// Indices (into `manifest.items`) still to do: pending, failed (tried again), and done items
    /// for which `verify` says the outputs are missing or changed.
    public func todo(verify: (Int) -> Bool) -> [Int] {
        manifest.items.indices.filter { manifest.items[$0].status != .done || !verify($0) }
    }

    public func markDone(_ index: Int, checksum: String, files: [String]? = nil) {
        manifest.items[index].status = .done
        manifest.items[index].checksum = checksum
        manifest.items[index].files = files
        manifest.items[index].error = nil
    }

    public func markFailed(_ index: Int, error: String) {
        manifest.items[index].status = .failed
        manifest.items[index].checksum = nil
        manifest.items[index].files = nil
        manifest.items[index].error = error
    }

    public func setContext(_ key: String, _ value: JSONValue) { manifest.context[key] = value }

    /// Adds compute time (kept over re-runs).
    public func addSeconds(_ s: Double) { manifest.seconds += s }

    public func save() throws { try manifest.write(to: folder) }

    /// SHA-256 of files' contents one after the other; nil if one cannot be read.
    public static func checksum(files: [URL]) -> String? {
        var s = SHA256()
        for f in files {
            guard let d = FileManager.default.contents(atPath: f.path) else { return nil }
            s.update(d)
        }
        return s.hexDigest()
    }

    /// Checksum check for an item of an explain-like shard (files relative to `folder`).
    public func filesMatch(_ index: Int) -> Bool {
        let item = manifest.items[index]
        guard let files = item.files, let sum = item.checksum else { return false }
        return Self.checksum(files: files.map { folder.appendingPathComponent($0) }) == sum
    }
}
