import Foundation
import LRPCore

/// What both tools print and write for sharded runs.
public enum ShardReports {
    /// One line per shard run: what it did and where.
    public static func summary(_ run: ShardRun) {
        if let note = run.restartNote { Stderr.line("warning: \(note)") }
        let c = run.manifest.counts
        print("shard \(run.manifest.shardIndex)/\(run.manifest.shardCount): \(c.done) done, \(c.failed) failed, \(c.pending) pending of \(c.items) (\(run.manifest.totalItems) in all) in \(run.folder.path)")
    }

    /// Checks that explain (or encode) shards are complete and consistent; with `out`, writes
    /// their combined index there.
    public static func mergeExplain(_ urls: [URL], tool: String, command: String = "explain", out: String?) throws {
        let set = try ShardSet.gather(urls, tool: tool, commands: [command], allowFailed: false)
        let files = set.manifests.reduce(0) { $0 + $1.items.reduce(0) { $0 + ($1.files?.count ?? 0) } }
        if let out { try AtomicFile.write(try JSONOutput.encode(set.explainIndex), to: URL(fileURLWithPath: out)) }
        print("\(set.manifests.count) \(command) shards complete: \(set.first.totalItems) items, \(files) files\(out.map { "; index written to \($0)" } ?? "")")
    }
}
