import CKernels

/// The toolkit's OpenBLAS threading policy: BLAS stays single-threaded, because the libraries
/// parallelise themselves (`Parallel`, over images, samples, rows or channels) and nested BLAS
/// threads would oversubscribe the cores. Every entry point that reaches BLAS calls `apply()`.
public enum BLASThreads {
    /// The BLAS thread count the toolkit uses.
    public static let count = 1

    private static let applied: Void = { lrp_blas_set_threads(Int32(count)) }()

    /// Sets OpenBLAS to `count` threads; the first call does it, later calls cost nothing.
    public static func apply() { _ = applied }
}
