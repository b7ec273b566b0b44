import ArgumentParser
import Foundation
import LRPCore

/// `--shard i/n` and `--shard-count n` (docs/DESIGN.md §9): which part of a run this process
/// does. Without `--shard` the scheduler's environment decides (Slurm array task, Kubernetes
/// indexed job); without either the run is not sharded.
public struct ShardOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Do only shard i of n (0-based, e.g. 0/4) into <out>/shard-iiii-of-nnnn/ (default: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT, or $JOB_COMPLETION_INDEX with --shard-count).")
    public var shard: String?

    @Option(name: .customLong("shard-count"), parsing: .unconditional,
            help: "Number of shards n when the environment gives only the index ($JOB_COMPLETION_INDEX) or to override $SLURM_ARRAY_TASK_COUNT.")
    public var shardCount: Int?

    public init() {}

    public func validate() throws {
        if let shard {
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ Int($0.trimmingCharacters(in: .whitespaces)) != nil }) else {
                throw ValidationError("--shard '\(shard)' is not of the form i/n (e.g. 0/4)")
            }
        }
    }

    /// The shard of this process, or nil for an unsharded run.
    /// - Throws: `LRPError` for an index out of range, n = 0, or an index without a count.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard? {
        if let shardCount, shardCount < 1 { throw LRPError("--shard-count must be at least 1 (got \(shardCount))") }
        if let shard {
            let s = try OptionErrors.naming(["shard count": "--shard count", "shard index": "--shard index", "shard '": "--shard '"]) {
                try Shard(parsing: shard)
            }
            if let shardCount, shardCount != s.count {
                throw LRPError("--shard \(shard) and --shard-count \(shardCount) disagree")
            }
            return s
        }
        let s = try OptionErrors.naming(["an explicit count": "--shard-count", "give it explicitly": "give --shard-count"]) {
            try Shard.fromEnvironment(environment, explicitCount: shardCount)
        }
        if s == nil, shardCount != nil {
            throw LRPError("--shard-count needs a shard index: --shard i/n, $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX")
        }
        return s
    }
}
