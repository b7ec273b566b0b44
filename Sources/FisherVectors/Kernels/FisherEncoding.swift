import CKernels
import LRPCore

/// Which spatial-pyramid cells each descriptor falls into.
public struct PyramidCells: Sendable, Equatable {
    /// Total number of cells over all levels (e.g. 1 + 4 + 3 = 8 for 1×1, 2×2, 3×1).
    public var numCells: Int
    /// Entries per descriptor (e.g. one per pyramid level).
    public var cellsPerDescriptor: Int
    /// `count × cellsPerDescriptor` cell indices in 0..<numCells; −1 = none.
    public var indices: [Int32]

    public init(numCells: Int, cellsPerDescriptor: Int, indices: [Int32]) {
        self.numCells = numCells
        self.cellsPerDescriptor = cellsPerDescriptor
        self.indices = indices
    }

    /// Every descriptor in one cell (a plain, single-cell Fisher vector).
    public static func single(count: Int) -> PyramidCells {
        PyramidCells(numCells: 1, cellsPerDescriptor: 1, indices: [Int32](repeating: 0, count: count))
    }

    func validate(count: Int) throws {
        guard numCells > 0, cellsPerDescriptor > 0, indices.count == count * cellsPerDescriptor else {
            throw LRPError("Fisher: cell table of \(indices.count) entries does not match \(count) descriptors × \(cellsPerDescriptor)")
        }
        guard indices.allSatisfy({ $0 >= -1 && Int($0) < numCells }) else {
            throw LRPError("Fisher: cell index outside 0..<\(numCells)")
        }
    }
}

/// Kernel choice (results agree to float rounding): sparse loops over the non-zero
/// posteriors (VLFeat's direct form, fastest for real GMMs; `automatic` uses it), GEMM with
/// Qᵀ·X, Qᵀ·X² for dense posteriors. Use the same choice for statistics and relevance.
public enum FisherAlgorithm: Int, Sendable {
    case automatic = 0, sparse = 1, gemm = 2
}

/// Improved Fisher vectors per pyramid cell in VLFeat's layout (K mean blocks of D, then K
/// variance blocks), via sum-pooled statistics (docs/DESIGN.md §4's scale, no 1/N).
public enum FisherEncoding {
    /// VLFeat's vl_fisher_encode skips posteriors below this.
    public static let vlfeatPosteriorThreshold: Float = 1e-6

    /// Sum-pooled statistics z (numCells × 2KD) and descriptors per cell. `posteriors` are the
    /// N×K soft assignments (from `GMMKernels.posteriors(threshold: 1e-6)` to match VLFeat).
    public static func cellStatistics(data: [Float], count: Int, gmm: GMMParameters, posteriors: [Float],
                                      cells: PyramidCells, algorithm: FisherAlgorithm = .automatic,
                                      threads: Int = Parallel.workerCount) throws -> (statistics: [Float], counts: [Int32]) {
        try gmm.validate()
        try cells.validate(count: count)
        let d = gmm.dimension, k = gmm.clusters
        guard data.count == count * d, posteriors.count == count * k else {
            throw LRPError("Fisher: data or posteriors do not match \(count) descriptors")
        }
        BLASThreads.apply()
        var stats = [Float](repeating: 0, count: cells.numCells * 2 * k * d)
        var counts = [Int32](repeating: 0, count: cells.numCells)
        let wsSize = lrp_fisher_workspace_size(Int32(count), Int32(d), Int32(k), Int32(cells.numCells))
        try withPointers(data, gmm, posteriors, cells.indices) { x, mu, cov, pri, q, cl in
            try stats.withUnsafeMutableBufferPointer { sp in
                try counts.withUnsafeMutableBufferPointer { cp in
                    try KernelParts.run(extent: k, threads: threads, workspaceBytes: wsSize,
                                        what: "Fisher statistics") { ks, first, ws in
                        lrp_fisher_cell_statistics(x, Int32(count), Int32(d), mu, cov, pri, Int32(k), q,
                                                   cl, Int32(cells.cellsPerDescriptor), Int32(cells.numCells),
                                                   Int32(ks.lowerBound), Int32(ks.upperBound), Int32(algorithm.rawValue),
                                                   sp.baseAddress!, first ? cp.baseAddress! : nil, ws, wsSize)
                    }
                }
            }
        }
        return (stats, counts)
    }

    /// `cellStatistics` (sparse algorithm) from compressed sparse rows of posteriors
    /// (`GMMKernels.sparsePosteriors(threshold: 1e-6)` to match VLFeat); bit-identical to the
    /// dense call on the same posteriors.
    public static func cellStatistics(data: [Float], count: Int, gmm: GMMParameters, posteriors: SparsePosteriors,
                                      cells: PyramidCells,
                                      threads: Int = Parallel.workerCount) throws -> (statistics: [Float], counts: [Int32]) {
        try gmm.validate()
        try cells.validate(count: count)
        let d = gmm.dimension, k = gmm.clusters
        guard data.count == count * d else { throw LRPError("Fisher: data do not match \(count) descriptors") }
        try posteriors.validate(count: count, clusters: k)
        BLASThreads.apply()
        var stats = [Float](repeating: 0, count: cells.numCells * 2 * k * d)
        var counts = [Int32](repeating: 0, count: cells.numCells)
        let wsSize = lrp_fisher_workspace_size(Int32(count), Int32(d), Int32(k), Int32(cells.numCells))
        try withPointers(data, gmm, [], cells.indices) { x, mu, cov, pri, _, cl in
            try posteriors.withPointers { rs, comp, val in
                try stats.withUnsafeMutableBufferPointer { sp in
                    try counts.withUnsafeMutableBufferPointer { cp in
                        try KernelParts.run(extent: k, threads: threads, workspaceBytes: wsSize,
                                            what: "Fisher statistics") { ks, first, ws in
                            lrp_fisher_cell_statistics_csr(x, Int32(count), Int32(d), mu, cov, pri, Int32(k),
                                                           rs, comp, val, cl, Int32(cells.cellsPerDescriptor),
                                                           Int32(cells.numCells), Int32(ks.lowerBound), Int32(ks.upperBound),
                                                           sp.baseAddress!, first ? cp.baseAddress! : nil, ws, wsSize)
                        }
                    }
                }
            }
        }
        return (stats, counts)
    }

    /// Turns sum-pooled statistics into improved Fisher vectors in place (÷N, signed square
    /// root, L2), cell by cell; an empty cell becomes zeros.
    public static func normalize(_ statistics: inout [Float], counts: [Int32], length: Int) {
        statistics.withUnsafeMutableBufferPointer { p in
            for c in 0..<counts.count where (c + 1) * length <= p.count {
                lrp_fisher_normalize(p.baseAddress! + c * length, Int32(length), counts[c])
            }
        }
    }

    /// The improved Fisher vector of all descriptors (one cell), as
    /// `vl_fisher_encode(..., VL_FISHER_FLAG_IMPROVED)` computes it.
    public static func encode(data: [Float], count: Int, gmm: GMMParameters,
                              threads: Int = Parallel.workerCount) throws -> [Float] {
        let q = try GMMKernels.sparsePosteriors(data: data, count: count, gmm: gmm, threshold: vlfeatPosteriorThreshold,
                                                threads: threads)
        var (z, n) = try cellStatistics(data: data, count: count, gmm: gmm, posteriors: q.posteriors,
                                        cells: .single(count: count), threads: threads)
        normalize(&z, counts: n, length: gmm.fisherLength)
        return z
    }

    /// Borrows raw pointers of the model and data arrays for a kernel call.
    static func withPointers<R>(_ data: [Float], _ gmm: GMMParameters, _ q: [Float], _ cells: [Int32],
                                _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                         UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Int32>) throws -> R) rethrows -> R {
        try data.withUnsafeBufferPointer { x in
            try gmm.means.withUnsafeBufferPointer { mu in
                try gmm.covariances.withUnsafeBufferPointer { cov in
                    try gmm.priors.withUnsafeBufferPointer { pri in
                        try q.withUnsafeBufferPointer { qq in
                            try cells.withUnsafeBufferPointer { cl in
                                try body(x.baseAddress ?? UnsafePointer(bitPattern: 16)!, mu.baseAddress!, cov.baseAddress!,
                                     pri.baseAddress!, qq.baseAddress ?? UnsafePointer(bitPattern: 16)!,
                                     cl.baseAddress ?? UnsafePointer(bitPattern: 16)!)
                            }
                        }
                    }
                }
            }
        }
    }
}
