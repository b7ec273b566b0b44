import CKernels

/// OpenBLAS is kept single-threaded: the FV pipeline parallelises over images (or dimension
/// ranges) itself with `Parallel`, and nested BLAS threads would oversubscribe the cores.
enum BLASThreads {
    /// Evaluated once, on first use by a library entry point.
    static let singleThreaded: Void = { lrp_blas_set_threads(1) }()
}
