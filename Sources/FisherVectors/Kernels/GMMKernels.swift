import CKernels
import LRPCore

/// Sufficient statistics of one EM iteration (accumulated in double).
public struct GMMStatistics: Sendable, Equatable {
    public var dimension: Int
    public var clusters: Int
    /// Σ_n q_nk (K).
    public var mass: [Double]
    /// Σ_n q_nk x_n (K×D).
    public var sumX: [Double]
    /// Σ_n q_nk x_n² (K×D).
    public var sumX2: [Double]
    /// Σ_n log p(x_n) under the parameters the posteriors came from.
    public var logLikelihood: Double
    /// Number of data points accumulated.
    public var count: Int

    public init(dimension: Int, clusters: Int) {
        self.dimension = dimension
        self.clusters = clusters
        mass = [Double](repeating: 0, count: clusters)
        sumX = [Double](repeating: 0, count: clusters * dimension)
        sumX2 = [Double](repeating: 0, count: clusters * dimension)
        logLikelihood = 0
        count = 0
    }

    /// Adds another partial result (e.g. from another block of data).
    public mutating func add(_ o: GMMStatistics) {
        for k in 0..<mass.count { mass[k] += o.mass[k] }
        for j in 0..<sumX.count { sumX[j] += o.sumX[j]; sumX2[j] += o.sumX2[j] }
        logLikelihood += o.logLikelihood
        count += o.count
    }
}

/// GMM posteriors (E-step) and EM statistics (for the M-step) through the C kernels.
public enum GMMKernels {
    /// Rows per block of `emStatistics`: bounds memory (block × K posteriors per thread).
    public static let blockRows = 2048

    /// Soft assignments q (count × K, row-major) and the total log-likelihood.
    /// - Parameter threshold: posteriors below it become 0 (1e-6 = vl_fisher_encode's cut).
    public static func posteriors(data: [Float], count: Int, gmm: GMMParameters, threshold: Float = 0,
                                  threads: Int = Parallel.workerCount) throws -> (posteriors: [Float], logLikelihood: Double) {
        try gmm.validate()
        guard count >= 0, data.count == count * gmm.dimension else {
            throw LRPError("GMM: data of \(data.count) values is not \(count)×\(gmm.dimension)")
        }
        let k = gmm.clusters
        if count == 0 { return ([], 0) }
        BLASThreads.apply()
        // contiguous, equal row ranges per worker, one kernel call each (the kernel works in
        // blocks of rows with a bounded workspace, and prepares the model once per call)
        let workers = max(1, min(threads, (count + 63) / 64))
        var ll = [Double](repeating: 0, count: workers)
        let status = StatusCollector()
        // the kernel writes every entry, zeros included, so the array is not cleared first
        let q = [Float](unsafeUninitializedCapacity: count * k) { qp, initialized in
            initialized = count * k
            data.withUnsafeBufferPointer { xp in
                ll.withUnsafeMutableBufferPointer { lp in
                    let qb = qp.baseAddress!, xb = xp.baseAddress!, lb = lp.baseAddress!
                    Parallel.forEach(workers) { w in
                        let lo = count * w / workers, hi = count * (w + 1) / workers
                        status.check(posteriorsBlock(xb + lo * gmm.dimension, hi - lo, gmm, threshold, qb + lo * k, lb + w))
                    }
                }
            }
        }
        try status.throwIfFailed("GMM posteriors")
        return (q, ll.reduce(0, +))
    }

    /// One E-step plus the M-step statistics over all data, in blocks on all cores, without
    /// materialising the N×K posteriors. `posteriorThreshold` defaults to VLFeat's M-step cut
    /// (posteriors below 1e-2/K are skipped).
    public static func emStatistics(data: [Float], count: Int, gmm: GMMParameters,
                                    posteriorThreshold: Float? = nil,
                                    threads: Int = Parallel.workerCount) throws -> GMMStatistics {
        try gmm.validate()
        guard count >= 0, data.count == count * gmm.dimension else {
            throw LRPError("GMM: data of \(data.count) values is not \(count)×\(gmm.dimension)")
        }
        BLASThreads.apply()
        let threshold = posteriorThreshold ?? Float(1e-2 / Double(gmm.clusters))
        let d = gmm.dimension, k = gmm.clusters
        let workers = max(1, min(threads, (count + blockRows - 1) / blockRows))
        var partial = [GMMStatistics](repeating: GMMStatistics(dimension: d, clusters: k), count: workers)
        let status = StatusCollector()
        data.withUnsafeBufferPointer { xp in
            partial.withUnsafeMutableBufferPointer { pp in
                let xb = xp.baseAddress!, pb = pp.baseAddress!
                Parallel.forEach(workers) { w in
                    let lo = count * w / workers, hi = count * (w + 1) / workers
                    var stats = GMMStatistics(dimension: d, clusters: k)
                    var q = [Float](repeating: 0, count: blockRows * k)
                    let wsSize = lrp_gmm_em_statistics_workspace_size(Int32(blockRows), Int32(d), Int32(k))
                    let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsSize, 1), alignment: 64)
                    defer { ws.deallocate() }
                    var start = lo
                    while start < hi {
                        let n = min(blockRows, hi - start)
                        var ll = 0.0
                        let s = q.withUnsafeMutableBufferPointer { qp in
                            let s = posteriorsBlock(xb + start * d, n, gmm, threshold, qp.baseAddress!, &ll)
                            if s != LRP_OK.rawValue { return s }
                            return stats.mass.withUnsafeMutableBufferPointer { m in
                                stats.sumX.withUnsafeMutableBufferPointer { s1 in
                                    stats.sumX2.withUnsafeMutableBufferPointer { s2 in
                                        lrp_gmm_em_statistics(xb + start * d, Int32(n), Int32(d), qp.baseAddress, Int32(k),
                                                              m.baseAddress, s1.baseAddress, s2.baseAddress, ws, wsSize)
                                    }
                                }
                            }
                        }
                        status.check(s)
                        if s != LRP_OK.rawValue { break }
                        stats.logLikelihood += ll
                        stats.count += n
                        start += n
                    }
                    pb[w] = stats
                }
            }
        }
        try status.throwIfFailed("GMM EM statistics")
        var total = GMMStatistics(dimension: d, clusters: k)
        for p in partial { total.add(p) }
        return total
    }

    /// VLFeat-style M-step from the statistics: μ = Σqx/Σq, σ² = Σqx²/Σq − μ² floored at
    /// `varianceFloor[i]` (one per dimension, or a single value), π = Σq/ΣΣq. Components whose
    /// mass is below 1e-6/K keep their previous mean and variance (as vl_gmm does).
    public static func maximize(_ s: GMMStatistics, previous: GMMParameters, varianceFloor: [Double]) -> GMMParameters {
        let d = s.dimension, k = s.clusters
        var out = previous
        let total = max(s.mass.reduce(0, +), 1e-12)
        for c in 0..<k {
            let m = s.mass[c]
            if m >= 1e-6 / Double(k) {
                for i in 0..<d {
                    let mu = s.sumX[c * d + i] / m
                    let v = s.sumX2[c * d + i] / m - mu * mu
                    let floor = varianceFloor.count == d ? varianceFloor[i] : (varianceFloor.first ?? 0)
                    out.means[c * d + i] = Float(mu)
                    out.covariances[c * d + i] = Float(max(v, floor))
                }
            }
            out.priors[c] = Float(m / total)
        }
        return out
    }

    /// One block through the C kernel (workspace allocated per call; blocks are large).
    static func posteriorsBlock(_ x: UnsafePointer<Float>, _ n: Int, _ gmm: GMMParameters, _ threshold: Float,
                                _ q: UnsafeMutablePointer<Float>, _ ll: UnsafeMutablePointer<Double>) -> Int32 {
        let d = gmm.dimension, k = gmm.clusters
        let wsSize = lrp_gmm_posteriors_workspace_size(Int32(n), Int32(d), Int32(k))
        let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsSize, 1), alignment: 64)
        defer { ws.deallocate() }
        return gmm.means.withUnsafeBufferPointer { mp in
            gmm.covariances.withUnsafeBufferPointer { cp in
                gmm.priors.withUnsafeBufferPointer { pp in
                    lrp_gmm_posteriors(x, Int32(n), Int32(d), mp.baseAddress, cp.baseAddress, pp.baseAddress,
                                       Int32(k), threshold, q, ll, ws, wsSize)
                }
            }
        }
    }
}
