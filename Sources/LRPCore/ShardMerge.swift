import Foundation

/// The shards of one run gathered for a merge: every manifest read and checked to belong to
/// the same run (tool, command, model, options, item count) and to form the complete set
/// 0..<n, each finished. Nothing is written here.
public struct ShardSet: Sendable {
    /// Manifests in shard order, with their folders.
    public var manifests: [ShardManifest]
    public var folders: [URL]

    public var first: ShardManifest { manifests[0] }

    /// Items of all shards in the order of the run's sorted list, with the folder of their shard.
    public var itemsInOrder: [(item: ShardManifest.Item, shard: Int)] {
        manifests.enumerated().flatMap { s, m in m.items.map { (item: $0, shard: s) } }
            .sorted { $0.item.position < $1.item.position }
    }

    /// - Parameters:
    ///   - paths: shard folders (holding `manifest.json`) or output folders holding `shard-*` folders.
    ///   - command: the command the shards must come from (e.g. "eval").
    ///   - allowFailed: whether failed items count as finished (eval: skipped images) or not.
    /// - Throws: `LRPError` for no shards, a missing or corrupt manifest, shards of different
    ///   runs, a duplicated or missing shard, or an unfinished one.
    public static func gather(_ paths: [URL], tool: String, commands: Set<String>, allowFailed: Bool) throws -> ShardSet {
        var folders: [URL] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p.path, isDirectory: &isDir), isDir.boolValue else {
                throw LRPError("\(p.path): no such folder")
            }
            if FileManager.default.fileExists(atPath: p.appendingPathComponent(ShardManifest.fileName).path) {
                folders.append(p)
                continue
            }
            let subs = ((try? FileManager.default.contentsOfDirectory(atPath: p.path)) ?? [])
                .filter { $0.hasPrefix("shard-") }.sorted()
            guard !subs.isEmpty else { throw LRPError("\(p.path): no shard manifest and no shard-* folders") }
            folders += subs.map { p.appendingPathComponent($0) }
        }
        guard !folders.isEmpty else { throw LRPError("no shard folders given") }
        let manifests = try folders.map { try ShardManifest.read(from: $0) }
        let ref = manifests[0]
        for (m, f) in zip(manifests, folders) {
            guard m.tool == tool, commands.contains(m.command) else {
                throw LRPError("\(f.path): a shard of '\(m.tool) \(m.command)', expected \(tool) \(commands.sorted().joined(separator: " or "))")
            }
            guard m.command == ref.command else { throw LRPError("\(f.path): a shard of '\(m.command)', the others are of '\(ref.command)'") }
            guard m.modelSHA256 == ref.modelSHA256 else {
                throw LRPError("\(f.path): shard of another model (SHA-256 \(m.modelSHA256.prefix(12))…, \(folders[0].lastPathComponent) has \(ref.modelSHA256.prefix(12))…)")
            }
            if m.options != ref.options {
                let keys = Set(m.options.keys).union(ref.options.keys).filter { m.options[$0] != ref.options[$0] }.sorted()
                throw LRPError("\(f.path): shard run with other options (\(keys.joined(separator: ", ")) differ from \(folders[0].lastPathComponent))")
            }
            guard m.shardCount == ref.shardCount, m.totalItems == ref.totalItems else {
                throw LRPError("\(f.path): shard \(m.shardIndex)/\(m.shardCount) of \(m.totalItems) items does not belong with shard \(ref.shardIndex)/\(ref.shardCount) of \(ref.totalItems) items")
            }
        }
        var byIndex: [Int: Int] = [:]
        for (k, m) in manifests.enumerated() {
            if let other = byIndex[m.shardIndex] {
                throw LRPError("shard \(m.shardIndex)/\(m.shardCount) given twice: \(folders[other].path) and \(folders[k].path)")
            }
            byIndex[m.shardIndex] = k
        }
        let missing = (0..<ref.shardCount).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw LRPError("missing shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(ref.shardCount)" }.joined(separator: ", ")) (have \(manifests.count) of \(ref.shardCount))")
        }
        let order = (0..<ref.shardCount).map { byIndex[$0]! }
        for k in order {
            let m = manifests[k]
            let unfinished = m.items.filter { $0.status == .pending || (!allowFailed && $0.status == .failed) }
            guard unfinished.isEmpty else {
                throw LRPError("\(folders[k].path): shard \(m.shardIndex)/\(m.shardCount) is incomplete (\(unfinished.count) of \(m.items.count) items not done, e.g. \(unfinished[0].id)); re-run it")
            }
        }
        return ShardSet(manifests: order.map { manifests[$0] }, folders: order.map { folders[$0] })
    }
}

extension ShardSet {
    /// Every output file of a complete explain run, in the run's item order, as JSON for an
    /// index file: per image its id, shard folder, files (relative to the index's folder is up
    /// to the caller; here relative to the shard folder) and checksum.
    public var explainIndex: [String: Any] {
        let items: [[String: Any]] = itemsInOrder.map { item, s in
            ["id": item.id, "position": item.position, "shard": folders[s].lastPathComponent,
             "files": item.files ?? [], "checksum": item.checksum ?? ""]
        }
        return ["tool": first.tool, "command": first.command, "modelSHA256": first.modelSHA256, "options": first.options,
                "shards": manifests.count, "items": items]
    }
}
