import Foundation

/// One part of a run split over several processes (a Slurm array task, a Kubernetes indexed
/// job): part `index` of `count`, 0-based. Membership depends only on the position of an item
/// in the sorted list of all items, so a re-run shard gets the same items.
public struct Shard: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// - Throws: `LRPError` unless `count ≥ 1` and `0 ≤ index < count`.
    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw LRPError("shard count must be at least 1 (got \(count))") }
        guard index >= 0, index < count else {
            throw LRPError("shard index \(index) is out of range for \(count) shard\(count == 1 ? "" : "s") (0...\(count - 1))")
        }
        self.index = index
        self.count = count
    }

    /// The whole run as one shard.
    public static let whole = try! Shard(index: 0, count: 1)

    /// "i/n", e.g. "2/4" (the third of four shards).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw LRPError("shard '\(text)' is not of the form i/n (e.g. 0/4)")
        }
        try self.init(index: i, count: n)
    }

    /// The shard a scheduler assigned through the environment: Slurm's `SLURM_ARRAY_TASK_ID` is the
    /// shard index (submit `--array=0-(n-1)`), with `explicitCount` or else `SLURM_ARRAY_TASK_COUNT`;
    /// Kubernetes' `JOB_COMPLETION_INDEX` with `explicitCount` (an indexed job does not export its
    /// completion count). Re-submitting some tasks (`--array=2`) makes Slurm report a count of 1,
    /// so such a re-run needs the explicit count. Nil when neither variable is set.
    public static func fromEnvironment(_ env: [String: String], explicitCount: Int? = nil) throws -> Shard? {
        func number(_ key: String) throws -> Int? {
            guard let text = env[key] else { return nil }
            guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw LRPError("\(key)='\(text)' is not a whole number")
            }
            return v
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            guard let n = try explicitCount ?? number("SLURM_ARRAY_TASK_COUNT") else {
                throw LRPError("SLURM_ARRAY_TASK_ID is set but the shard count is not (SLURM_ARRAY_TASK_COUNT or an explicit count)")
            }
            return try Shard(index: task, count: n)
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let n = explicitCount else {
                throw LRPError("JOB_COMPLETION_INDEX is set but the shard count is not (give it explicitly)")
            }
            return try Shard(index: index, count: n)
        }
        return nil
    }

    /// The items of this shard: every `count`-th item of the sorted list, starting at `index`
    /// (round-robin, so classes stored together spread evenly over the shards).
    public func members<T>(of sorted: [T]) -> [T] {
        stride(from: index, to: sorted.count, by: count).map { sorted[$0] }
    }

    /// Whether the item at `position` of the sorted list belongs to this shard.
    public func contains(position: Int) -> Bool { position % count == index }

    /// "shard-0002-of-0004": a folder name that sorts in shard order.
    public var folderName: String { String(format: "shard-%04d-of-%04d", index, count) }

    public var description: String { "\(index)/\(count)" }
}
