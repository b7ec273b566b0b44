import CKernels
import LRPCore

/// docs/DESIGN.md §4's descriptor-level step of Fisher-vector relevance without N×2KD arrays.
public enum FisherRelevanceKernel {
    /// Per-descriptor, per-dimension relevance R (count × D, row-major):
    /// R_li = Σ_{cells c ∋ l} Σ_k [ z_l,(k,i,mean)·s_c,(k,i,mean) + z_l,(k,i,var)·s_c,(k,i,var) ]
    /// where `ratios` holds s_c,d = R_c,d / (z_c,d + ε·sign z_c,d) (numCells × 2KD, FV layout)
    /// and z_l,d are the contributions that `FisherEncoding.cellStatistics` sums (same
    /// posteriors). Row sums give R_l; Σ_l R_l = Σ_c Σ_d z_c,d s_c,d.
    public static func relevance(data: [Float], count: Int, gmm: GMMParameters, posteriors: [Float],
                                 cells: PyramidCells, ratios: [Float],
                                 algorithm: FisherAlgorithm = .automatic,
                                 threads: Int = Parallel.workerCount) throws -> [Float] {
        try gmm.validate()
        try cells.validate(count: count)
        let d = gmm.dimension, k = gmm.clusters
        guard data.count == count * d, posteriors.count == count * k else {
            throw LRPError("Fisher relevance: data or posteriors do not match \(count) descriptors")
        }
        guard ratios.count == cells.numCells * gmm.fisherLength else {
            throw LRPError("Fisher relevance: \(ratios.count) ratios, expected \(cells.numCells) cells × \(gmm.fisherLength)")
        }
        BLASThreads.apply()
        var out = [Float](repeating: 0, count: count * d)
        if count == 0 { return out }
        let wsSize = lrp_fisher_relevance_workspace_size(Int32(count), Int32(d), Int32(k), Int32(cells.numCells))
        try FisherEncoding.withPointers(data, gmm, posteriors, cells.indices) { x, mu, cov, pri, q, cl in
            try ratios.withUnsafeBufferPointer { rp in
                try out.withUnsafeMutableBufferPointer { op in
                    try KernelParts.run(extent: count, threads: threads, workspaceBytes: wsSize,
                                        what: "Fisher relevance") { ls, _, ws in
                        lrp_fisher_relevance(x, Int32(count), Int32(d), mu, cov, pri, Int32(k), q,
                                             cl, Int32(cells.cellsPerDescriptor), Int32(cells.numCells),
                                             rp.baseAddress!, Int32(ls.lowerBound), Int32(ls.upperBound),
                                             Int32(algorithm.rawValue), op.baseAddress! + ls.lowerBound * d, ws, wsSize)
                    }
                }
            }
        }
        return out
    }
    /// `relevance` (sparse algorithm) from compressed sparse rows of posteriors — those the
    /// statistics were computed from; bit-identical to the dense call on the same posteriors.
    public static func relevance(data: [Float], count: Int, gmm: GMMParameters, posteriors: SparsePosteriors,
                                 cells: PyramidCells, ratios: [Float],
                                 threads: Int = Parallel.workerCount) throws -> [Float] {
        try gmm.validate()
        try cells.validate(count: count)
        let d = gmm.dimension, k = gmm.clusters
        guard data.count == count * d else { throw LRPError("Fisher relevance: data do not match \(count) descriptors") }
        try posteriors.validate(count: count, clusters: k)
        guard ratios.count == cells.numCells * gmm.fisherLength else {
            throw LRPError("Fisher relevance: \(ratios.count) ratios, expected \(cells.numCells) cells × \(gmm.fisherLength)")
        }
        BLASThreads.apply()
        var out = [Float](repeating: 0, count: count * d)
        if count == 0 { return out }
        let wsSize = lrp_fisher_relevance_workspace_size(Int32(count), Int32(d), Int32(k), Int32(cells.numCells))
        try FisherEncoding.withPointers(data, gmm, [], cells.indices) { x, mu, cov, pri, _, cl in
            try posteriors.withPointers { rs, comp, val in
                try ratios.withUnsafeBufferPointer { rp in
                    try out.withUnsafeMutableBufferPointer { op in
                        try KernelParts.run(extent: count, threads: threads, workspaceBytes: wsSize,
                                            what: "Fisher relevance") { ls, _, ws in
                            lrp_fisher_relevance_csr(x, Int32(count), Int32(d), mu, cov, pri, Int32(k),
                                                     rs, comp, val, cl, Int32(cells.cellsPerDescriptor),
                                                     Int32(cells.numCells), rp.baseAddress!, Int32(ls.lowerBound),
                                                     Int32(ls.upperBound), op.baseAddress! + ls.lowerBound * d, ws, wsSize)
                        }
                    }
                }
            }
        }
        return out
    }
}
