// API changes after the first version (for the pipeline): `relevance` takes `threads:`, and
// also `SparsePosteriors` (what the pipeline uses).
import CKernels
import LRPCore

/// DESIGN §4's descriptor-level step of Fisher-vector relevance without N×2KD arrays.
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
        _ = BLASThreads.singleThreaded
        var out = [Float](repeating: 0, count: count * d)
        if count == 0 { return out }
        let chunks = max(1, min(threads, count))
        var status = [Int32](repeating: 0, count: chunks)
        let wsSize = lrp_fisher_relevance_workspace_size(Int32(count), Int32(d), Int32(k), Int32(cells.numCells))
        FisherEncoding.withPointers(data, gmm, posteriors, cells.indices) { x, mu, cov, pri, q, cl in
            ratios.withUnsafeBufferPointer { rp in
                out.withUnsafeMutableBufferPointer { op in
                    status.withUnsafeMutableBufferPointer { stp in
                        let r = rp.baseAddress!, o = op.baseAddress!, st = stp.baseAddress!
                        Parallel.forEach(chunks) { w in
                            let l0 = count * w / chunks, l1 = count * (w + 1) / chunks
                            let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsSize, 1), alignment: 64)
                            defer { ws.deallocate() }
                            st[w] = lrp_fisher_relevance(x, Int32(count), Int32(d), mu, cov, pri, Int32(k), q,
                                                         cl, Int32(cells.cellsPerDescriptor), Int32(cells.numCells),
                                                         r, Int32(l0), Int32(l1), Int32(algorithm.rawValue),
                                                         o + l0 * d, ws, wsSize)
                        }
                    }
                }
            }
        }
        if let bad = status.first(where: { $0 != LRP_OK.rawValue }) { throw LRPError("Fisher relevance failed (status \(bad))") }
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
        _ = BLASThreads.singleThreaded
        var out = [Float](repeating: 0, count: count * d)
        if count == 0 { return out }
        let chunks = max(1, min(threads, count))
        var status = [Int32](repeating: 0, count: chunks)
        let wsSize = lrp_fisher_relevance_workspace_size(Int32(count), Int32(d), Int32(k), Int32(cells.numCells))
        FisherEncoding.withPointers(data, gmm, [], cells.indices) { x, mu, cov, pri, _, cl in
            posteriors.withPointers { rs, comp, val in
                ratios.withUnsafeBufferPointer { rp in
                    out.withUnsafeMutableBufferPointer { op in
                        status.withUnsafeMutableBufferPointer { stp in
                            let r = rp.baseAddress!, o = op.baseAddress!, st = stp.baseAddress!
                            Parallel.forEach(chunks) { w in
                                let l0 = count * w / chunks, l1 = count * (w + 1) / chunks
                                let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsSize, 1), alignment: 64)
                                defer { ws.deallocate() }
                                st[w] = lrp_fisher_relevance_csr(x, Int32(count), Int32(d), mu, cov, pri, Int32(k),
                                                                 rs, comp, val, cl, Int32(cells.cellsPerDescriptor),
                                                                 Int32(cells.numCells), r, Int32(l0), Int32(l1),
                                                                 o + l0 * d, ws, wsSize)
                            }
                        }
                    }
                }
            }
        }
        if let bad = status.first(where: { $0 != LRP_OK.rawValue }) { throw LRPError("Fisher relevance failed (status \(bad))") }
        return out
    }
}
