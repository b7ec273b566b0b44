import Foundation

/// Work splitting over the machine's cores. The C kernels are single-threaded over the range
/// they are given (and OpenBLAS is kept at one thread); parallelism is decided here, once.
public enum Parallel {
    /// Number of worker threads: the active processor count, or `LRP_THREADS` if set.
    public static let workerCount: Int = {
        if let s = ProcessInfo.processInfo.environment["LRP_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(i)` for every `i` in `0..<count`, spread over `workerCount` threads.
    /// Iterations must be independent. Runs inline when there is one item or one worker.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || workerCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// Splits `0..<total` into at most `workerCount` contiguous chunks (none empty) and runs
    /// `body(range)` for each in parallel. For kernels that take a row or channel range.
    public static func forChunks(_ total: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if total <= 0 { return }
        let chunks = max(1, min(workerCount, total / max(1, minChunk)))
        let base = total / chunks, extra = total % chunks
        forEach(chunks) { c in
            let start = c * base + min(c, extra)
            let end = start + base + (c < extra ? 1 : 0)
            body(start..<end)
        }
    }
}

/// Per-index results written by parallel workers: one slot per task, filled under a lock.
/// For work that can fail, store a `Result` and read them back with `values()`.
public final class ParallelSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func set(_ i: Int, _ value: T) { lock.lock(); slots[i] = value; lock.unlock() }

    public func get(_ i: Int) -> T? { lock.lock(); defer { lock.unlock() }; return slots[i] }

    /// Every slot in order; nil where a task did not finish.
    public func all() -> [T?] { lock.lock(); defer { lock.unlock() }; return slots }
}

extension ParallelSlots {
    /// The values of tasks that stored a `Result`, in order; throws the first error, or an
    /// internal error for a task that never finished.
    public func values<V>() throws -> [V] where T == Result<V, Error> {
        try all().map { slot in
            guard let slot else { throw LRPError("internal: a parallel task did not finish") }
            return try slot.get()
        }
    }
}
