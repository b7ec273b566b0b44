import Foundation

/// One shard's work in its folder `<out>/<shard.folderName>/`: starts a manifest, or resumes
/// the one a previous run left (which must describe the same work), and records each finished
/// item. Items whose recorded outputs no longer match their checksum are done again.
public final class ShardRun {
    public let folder: URL
    public private(set) var manifest: ShardManifest
    /// Set when an unreadable manifest was replaced (for a warning).
    public private(set) var restartNote: String?
    /// Explain outputs: which item owns each file name (built on first use).
    private var fileOwners: [String: Int]?
    private var lastSave = Date.distantPast

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
            manifest.commandLine = fresh.commandLine
        } else {
            manifest = fresh
        }
        manifest.recount()
    }

    /// Indices (into `manifest.items`) still to do: pending, failed (tried again), and done items
    /// for which `verify` says the outputs are missing or changed.
    public func todo(verify: (Int) -> Bool) -> [Int] {
        manifest.items.indices.filter { manifest.items[$0].status != .done || !verify($0) }
    }

    /// Sets an item's status, keeping the counts current.
    private func setStatus(_ index: Int, _ status: ShardManifest.Status) {
        func add(_ s: ShardManifest.Status, _ d: Int) {
            switch s {
            case .done: manifest.counts.done += d
            case .failed: manifest.counts.failed += d
            case .pending: manifest.counts.pending += d
            }
        }
        add(manifest.items[index].status, -1)
        manifest.items[index].status = status
        add(status, 1)
    }

    public func markDone(_ index: Int, checksum: String, files: [String]? = nil) {
        setStatus(index, .done)
        manifest.items[index].checksum = checksum
        manifest.items[index].files = files
        manifest.items[index].error = nil
    }

    public func markFailed(_ index: Int, error: String) {
        setStatus(index, .failed)
        manifest.items[index].checksum = nil
        manifest.items[index].files = nil
        manifest.items[index].error = error
    }

    /// Records a failed input of an explain-like shard (its path is the item's id); unknown
    /// inputs are ignored.
    public func markFailed(_ input: URL, error: String) {
        guard let i = manifest.items.firstIndex(where: { URL(fileURLWithPath: $0.id).path == input.path }) else { return }
        markFailed(i, error: error)
    }

    public func setContext(_ key: String, _ value: JSONValue) { manifest.context[key] = value }

    /// Adds compute time (kept over re-runs).
    public func addSeconds(_ s: Double) { manifest.seconds += s }

    public func save() throws {
        manifest.recount()
        try manifest.write(to: folder)
        lastSave = Date()
    }

    /// Saves if the last save is more than `interval` seconds old: a large manifest is not
    /// rewritten for every item; a kill loses at most that much recorded work (it is redone).
    public func saveIfDue(interval: TimeInterval = 2) throws {
        if Date().timeIntervalSince(lastSave) >= interval { try save() }
    }

    /// Records an explained image: its files (named relative to the shard folder) and their checksum.
    /// - Throws: `LRPError` if another image of the shard already owns one of the file names
    ///   (two images with the same file name would overwrite each other's outputs).
    public func markExplained(_ input: URL, files: [URL]) throws {
        let id = input.path
        guard let i = manifest.items.firstIndex(where: { URL(fileURLWithPath: $0.id).path == id }) else {
            throw LRPError("internal: \(id) is not an item of this shard")
        }
        if fileOwners == nil {
            var owners: [String: Int] = [:]
            for (k, item) in manifest.items.enumerated() where item.status == .done { for f in item.files ?? [] { owners[f] = k } }
            fileOwners = owners
        }
        let names = files.map(\.lastPathComponent)
        if let clash = names.compactMap({ fileOwners?[$0] }).first(where: { $0 != i }) {
            throw LRPError("\(id) and \(manifest.items[clash].id) give the same output file names in \(folder.path); a sharded explain needs distinct image file names")
        }
        guard let sum = Self.checksum(files: files) else { throw LRPError("cannot read back the outputs of \(id)") }
        markDone(i, checksum: sum, files: names)
        for n in names { fileOwners?[n] = i }
        try saveIfDue()
    }

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
