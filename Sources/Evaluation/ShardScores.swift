import Foundation
import LRPCore

/// The per-image scores an `eval` shard keeps instead of a report: `scores.npy` (float32,
/// shard items × classes, in the manifest's item order; rows of unfinished or failed items are
/// NaN) beside the manifest, whose items carry the labels, ids and the SHA-256 of each row.
/// Both files are rewritten atomically after every chunk of images (scores first).
public final class ShardScores {
    public static let fileName = "scores.npy"
    public enum Outcome { case scores([Float]), failed(String) }

    public let run: ShardRun
    public let classCount: Int
    private var rows: [[Float]?]

    /// Reads what a previous run of this shard left, if it fits.
    public init(run: ShardRun, classCount: Int) {
        self.run = run
        self.classCount = classCount
        rows = Array(repeating: nil, count: run.manifest.items.count)
        if let old = try? NPY.read(run.folder.appendingPathComponent(Self.fileName)),
           old.shape == [rows.count, classCount] {
            for i in rows.indices { rows[i] = Array(old.data[i * classCount..<(i + 1) * classCount]) }
        }
    }

    /// SHA-256 of a row's float32 little-endian bytes.
    public static func checksum(_ row: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(row.count * 4)
        for v in row { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return SHA256.hex(bytes)
    }

    /// Scores every item still to do, `chunkSize` at a time (saving after each chunk); `score`
    /// gets manifest item indices and returns one outcome per index.
    public func complete(chunkSize: Int, progress: ProgressHandler?, score: ([Int]) throws -> [Outcome]) throws {
        let todo = run.todo { rows[$0].map(Self.checksum) == run.manifest.items[$0].checksum }
        let total = run.manifest.items.count
        var done = total - todo.count
        if todo.isEmpty { progress?(ProgressEvent(stage: "scores", done: total, total: total, detail: "already complete")) }
        for start in stride(from: 0, to: todo.count, by: max(1, chunkSize)) {
            let part = Array(todo[start..<min(todo.count, start + chunkSize)])
            let started = Date()
            for (i, outcome) in zip(part, try score(part)) {
                switch outcome {
                case .scores(let s):
                    rows[i] = s
                    run.markDone(i, checksum: Self.checksum(s))
                case .failed(let message):
                    rows[i] = nil
                    run.markFailed(i, error: message)
                }
            }
            run.addSeconds(Date().timeIntervalSince(started))
            try save()
            done += part.count
            progress?(ProgressEvent(stage: "scores", done: done, total: total,
                                    detail: "shard \(try run.manifest.shard), \(run.manifest.counts.failed) failed"))
        }
        if todo.isEmpty { try save() }
    }

    public func save() throws {
        var data = [Float](repeating: .nan, count: rows.count * classCount)
        for (i, r) in rows.enumerated() { if let r { data.replaceSubrange(i * classCount..<(i + 1) * classCount, with: r) } }
        try AtomicFile.write(NPY.encode(NDArray(shape: [rows.count, classCount], data: data)),
                             to: run.folder.appendingPathComponent(Self.fileName))
        try run.save()
    }
}

/// Per-shard eval scores combined into the evaluation an unsharded run gives: the images in
/// the run's order (failed ones skipped, as unsharded), the same `EvaluationReport`.
public struct MergedEvaluation {
    public var report: EvaluationReport
    /// Messages of the images that could not be scored, in dataset order.
    public var skippedImages: [String]
    /// The first shard's context (report fields recorded by the eval command).
    public var context: [String: JSONValue]
    /// Compute time of all shards together.
    public var seconds: Double
    public var shards: ShardSet

    /// - Throws: `LRPError` for an incomplete or inconsistent shard set, a missing scores file
    ///   or a row whose checksum does not match the manifest.
    public static func merge(_ paths: [URL], tool: String) throws -> MergedEvaluation {
        let set = try ShardSet.gather(paths, tool: tool, commands: ["eval"], allowFailed: true)
        guard case .array(let c)? = set.first.context["classes"], case .array(let n)? = set.first.context["classNames"] else {
            throw LRPError("\(set.folders[0].path)/\(ShardManifest.fileName): corrupt shard manifest (no class list)")
        }
        let classes = c.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        let names = n.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        var tables: [NDArray] = []
        for (m, folder) in zip(set.manifests, set.folders) {
            let url = folder.appendingPathComponent(ShardScores.fileName)
            let a = try NPY.read(url)
            guard a.shape == [m.items.count, classes.count] else {
                throw LRPError("\(url.path): \(a.shape) scores, expected [\(m.items.count), \(classes.count)]")
            }
            tables.append(a)
        }
        var scores: [[Float]] = [], labels: [[Int8]] = [], skipped: [String] = []
        var rowIndex = [Int](repeating: 0, count: set.manifests.count)
        for (item, s) in set.itemsInOrder {
            let r = rowIndex[s]
            rowIndex[s] += 1
            if item.status == .failed { skipped.append(item.error ?? item.id); continue }
            let row = Array(tables[s].data[r * classes.count..<(r + 1) * classes.count])
            guard ShardScores.checksum(row) == item.checksum, let l = item.labels, l.count == classes.count else {
                throw LRPError("\(set.folders[s].path): the scores of \(item.id) do not match the manifest; re-run the shard")
            }
            scores.append(row)
            labels.append(l)
        }
        guard !scores.isEmpty else { throw LRPError("no image of the shards could be scored") }
        let seconds = set.manifests.reduce(0.0) { $0 + $1.seconds }
        let report = EvaluationReport(classes: classes, classNames: names, scores: scores, labels: labels)
        return MergedEvaluation(report: report, skippedImages: skipped, context: set.first.context, seconds: seconds, shards: set)
    }
}
