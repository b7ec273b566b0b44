import CKernels
import LRPCore

/// Runs one C kernel call per contiguous part of `0..<extent`, in parallel, the way the Fisher
/// kernels split their work (by components for the statistics, by descriptors for relevance).
enum KernelParts {
    /// Calls `kernel(range, isFirst, workspace)` for at most `threads` non-empty parts, each with its
    /// own 64-byte-aligned workspace of `workspaceBytes`; `kernel` returns an `LrpStatus` value.
    /// - Throws: `StatusCollector`'s error for `what` with the first status that is not `LRP_OK`.
    static func run(extent: Int, threads: Int, workspaceBytes: Int, what: String,
                    _ kernel: (_ part: Range<Int>, _ isFirst: Bool, _ workspace: UnsafeMutableRawPointer) -> Int32) throws {
        let parts = max(1, min(threads, extent))
        let status = StatusCollector()
        Parallel.forEach(parts) { w in
            let ws = UnsafeMutableRawPointer.allocate(byteCount: max(workspaceBytes, 1), alignment: 64)
            defer { ws.deallocate() }
            status.check(kernel(extent * w / parts..<extent * (w + 1) / parts, w == 0, ws))
        }
        try status.throwIfFailed(what)
    }
}
