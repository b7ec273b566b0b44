import Foundation

/// The record a shard keeps of its work (`manifest.json` in the shard folder; docs/DESIGN.md §9):
/// what was run (tool, command, model identity, options that affect results), which items the
/// shard holds and, per item, whether it is done or failed with a checksum of its outputs.
/// Rewritten atomically as work completes, so a re-run skips finished items.
public struct ShardManifest: Codable, Equatable, Sendable {
    public static let fileName = "manifest.json"
    public static let formatName = "lrp-shard-manifest"
    public static let currentVersion = 1

    public enum Status: String, Codable, Sendable { case pending, done, failed }

    public struct Item: Codable, Equatable, Sendable {
        /// Image path (explain) or dataset image id (eval, encode).
        public var id: String
        /// Position in the sorted list of all items of the run.
        public var position: Int
        public var status: Status = .pending
        /// Per class 1 / −1 / 0 (eval, encode).
        public var labels: [Int8]?
        /// Output files, relative to the shard folder (explain).
        public var files: [String]?
        /// SHA-256 of the item's outputs (its files in order, or its row of the shard's array).
        public var checksum: String?
        /// Why the item failed (an unreadable image).
        public var error: String?

        public init(id: String, position: Int, labels: [Int8]? = nil) {
            self.id = id
            self.position = position
            self.labels = labels
        }
    }

    public struct Counts: Codable, Equatable, Sendable {
        public var items = 0, done = 0, failed = 0, pending = 0
    }

    public var format = formatName
    public var version = currentVersion
    public var tool: String
    public var command: String
    /// SHA-256 of the model file (of the codebook for `encode`).
    public var modelSHA256: String
    /// Options that affect the results, as text.
    public var options: [String: String]
    public var shardIndex: Int
    public var shardCount: Int
    /// Items of the whole run (all shards).
    public var totalItems: Int
    /// What the merge needs besides the items (classes, report fields); free-form.
    public var context: [String: JSONValue]
    public var items: [Item]
    public var counts = Counts()
    /// Compute time spent on this shard, over all its runs (seconds).
    public var seconds: Double = 0

    public init(tool: String, command: String, modelSHA256: String, options: [String: String], shard: Shard,
                totalItems: Int, context: [String: JSONValue] = [:], items: [Item]) {
        self.tool = tool
        self.command = command
        self.modelSHA256 = modelSHA256
        self.options = options
        self.shardIndex = shard.index
        self.shardCount = shard.count
        self.totalItems = totalItems
        self.context = context
        self.items = items
        recount()
    }

    public var shard: Shard { get throws { try Shard(index: shardIndex, count: shardCount) } }

    public var isComplete: Bool { counts.pending == 0 }

    public mutating func recount() {
        counts = Counts(items: items.count, done: items.filter { $0.status == .done }.count,
                        failed: items.filter { $0.status == .failed }.count,
                        pending: items.filter { $0.status == .pending }.count)
    }

    /// Whether `other` describes the same work (everything but progress and context).
    public func sameRun(as other: ShardManifest) -> Bool {
        tool == other.tool && command == other.command && modelSHA256 == other.modelSHA256 && options == other.options
            && shardIndex == other.shardIndex && shardCount == other.shardCount && totalItems == other.totalItems
            && items.map(\.id) == other.items.map(\.id) && items.map(\.position) == other.items.map(\.position)
    }

    public func write(to folder: URL) throws {
        var m = self
        m.recount()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(m), to: folder.appendingPathComponent(Self.fileName))
    }

    /// - Throws: `LRPError` naming the file if it is missing, not a manifest, of another
    ///   version, or inconsistent (shard out of range, items not of this shard).
    public static func read(from folder: URL) throws -> ShardManifest {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LRPError("\(url.path): no shard manifest")
        }
        let m: ShardManifest
        do { m = try JSONDecoder().decode(ShardManifest.self, from: data) } catch {
            throw LRPError("\(url.path): corrupt shard manifest (not valid manifest JSON)")
        }
        guard m.format == formatName else { throw LRPError("\(url.path): not a shard manifest (format '\(m.format)')") }
        guard m.version == currentVersion else {
            throw LRPError("\(url.path): shard manifest version \(m.version) is not supported (this build reads \(currentVersion))")
        }
        let shard: Shard
        do { shard = try m.shard } catch let e as LRPError { throw LRPError("\(url.path): \(e.message)") }
        let expected = (0..<m.totalItems).filter { shard.contains(position: $0) }
        guard m.items.map(\.position) == expected else {
            throw LRPError("\(url.path): corrupt shard manifest (its items are not those of shard \(shard) of \(m.totalItems))")
        }
        return m
    }
}

extension ShardManifest {
    /// The manifest of a shard of image files (explain): the paths sorted, this shard's share
    /// of them, every item pending.
    public static func forImages(_ paths: [String], tool: String, command: String, model: URL, options: [String: String],
                                 shard: Shard) throws -> ShardManifest {
        let sorted = paths.sorted()
        let items = shard.members(of: Array(sorted.indices)).map { Item(id: sorted[$0], position: $0) }
        return ShardManifest(tool: tool, command: command, modelSHA256: try SHA256.hex(file: model), options: options,
                             shard: shard, totalItems: sorted.count, items: items)
    }
}

extension ShardRun {
    /// Records an explained image: its files (named relative to the shard folder) and their checksum.
    public func markExplained(_ input: URL, files: [URL]) throws {
        let id = input.path
        guard let i = manifest.items.firstIndex(where: { URL(fileURLWithPath: $0.id).path == id }) else {
            throw LRPError("internal: \(id) is not an item of this shard")
        }
        guard let sum = Self.checksum(files: files) else { throw LRPError("cannot read back the outputs of \(id)") }
        markDone(i, checksum: sum, files: files.map(\.lastPathComponent))
        try save()
    }
}
