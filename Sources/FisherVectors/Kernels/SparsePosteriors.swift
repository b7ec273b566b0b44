import CKernels
import LRPCore

/// The non-zero posteriors of `count` descriptors in compressed sparse rows (CSR): the entries of
/// descriptor `l` are `rowStart[l] ..< rowStart[l + 1]`, each a component (ascending within a
/// row) and its posterior. After VLFeat's 1e-6 cut a real GMM with K = 256 leaves about a dozen
/// per descriptor, so this is ~20× smaller than the dense `count × K` rows and the Fisher
/// kernels read it directly (same results, bit for bit, as from the dense rows).
public struct SparsePosteriors: Sendable, Equatable {
    public var count: Int
    public var clusters: Int
    /// `count + 1` offsets, `rowStart[0] = 0`.
    public var rowStart: [Int32]
    public var components: [Int32]
    public var values: [Float]

    public init(count: Int, clusters: Int, rowStart: [Int32], components: [Int32], values: [Float]) {
        self.count = count
        self.clusters = clusters
        self.rowStart = rowStart
        self.components = components
        self.values = values
    }

    /// The non-zero entries of dense `count × clusters` rows.
    public init(dense q: [Float], count: Int, clusters: Int) {
        precondition(q.count == count * clusters)
        var rowStart: [Int32] = [0], components: [Int32] = [], values: [Float] = []
        rowStart.reserveCapacity(count + 1)
        for l in 0..<count {
            for c in 0..<clusters where q[l * clusters + c] != 0 {
                components.append(Int32(c))
                values.append(q[l * clusters + c])
            }
            rowStart.append(Int32(components.count))
        }
        self.init(count: count, clusters: clusters, rowStart: rowStart, components: components, values: values)
    }

    /// Number of stored entries.
    public var entryCount: Int { components.count }

    /// The dense `count × clusters` rows.
    public func dense() -> [Float] {
        var q = [Float](repeating: 0, count: count * clusters)
        for l in 0..<count {
            for e in Int(rowStart[l])..<Int(rowStart[l + 1]) { q[l * clusters + Int(components[e])] = values[e] }
        }
        return q
    }

    /// Throws unless the table is well formed for `count` descriptors and `clusters` components.
    func validate(count n: Int, clusters k: Int) throws {
        guard count == n, clusters == k, rowStart.count == n + 1, rowStart.first == 0,
              components.count == values.count, Int(rowStart[n]) == components.count else {
            throw LRPError("Fisher: sparse posteriors do not match \(n) descriptors and \(k) components")
        }
        for l in 0..<n where rowStart[l + 1] < rowStart[l] {
            throw LRPError("Fisher: sparse posteriors have decreasing row offsets at row \(l)")
        }
        guard components.allSatisfy({ $0 >= 0 && Int($0) < k }) else {
            throw LRPError("Fisher: sparse posteriors name a component outside 0..<\(k)")
        }
    }

    /// Borrows the three arrays as C pointers (never nil, also when empty).
    func withPointers<R>(_ body: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Float>) throws -> R) rethrows -> R {
        try rowStart.withUnsafeBufferPointer { r in
            try components.withUnsafeBufferPointer { c in
                try values.withUnsafeBufferPointer { v in
                    try body(r.baseAddress!, c.baseAddress ?? UnsafePointer(bitPattern: 16)!,
                         v.baseAddress ?? UnsafePointer(bitPattern: 16)!)
                }
            }
        }
    }
}

extension GMMKernels {
    /// The posteriors of `posteriors(data:count:gmm:threshold:threads:)` (same values, same
    /// log-likelihood) as compressed sparse rows, without the dense `count × K` array.
    public static func sparsePosteriors(data: [Float], count: Int, gmm: GMMParameters, threshold: Float = 0,
                                        threads: Int = Parallel.workerCount) throws
        -> (posteriors: SparsePosteriors, logLikelihood: Double) {
        try gmm.validate()
        guard count >= 0, data.count == count * gmm.dimension else {
            throw LRPError("GMM: data of \(data.count) values is not \(count)×\(gmm.dimension)")
        }
        let k = gmm.clusters
        if count == 0 { return (SparsePosteriors(count: 0, clusters: k, rowStart: [0], components: [], values: []), 0) }
        BLASThreads.apply()
        let workers = max(1, min(threads, (count + 255) / 256))
        let parts = ParallelSlots<(SparsePosteriors, Double)>(count: workers)
        let status = StatusCollector()
        data.withUnsafeBufferPointer { xp in
            let xb = xp.baseAddress!
            Parallel.forEach(workers) { w in
                let lo = count * w / workers, hi = count * (w + 1) / workers
                if let part = csrRows(xb + lo * gmm.dimension, hi - lo, gmm, threshold, status) { parts.set(w, part) }
            }
        }
        try status.throwIfFailed("GMM posteriors")
        var out = SparsePosteriors(count: count, clusters: k, rowStart: [0], components: [], values: [])
        out.rowStart.reserveCapacity(count + 1)
        var ll = 0.0
        for w in 0..<workers {
            guard let (part, partLL) = parts.get(w) else { throw StatusCollector.error(status: LRP_E_ARGUMENT.rawValue, "GMM posteriors") }
            let offset = Int32(out.components.count)
            out.rowStart += part.rowStart.dropFirst().map { $0 + offset }
            out.components += part.components
            out.values += part.values
            ll += partLL
        }
        return (out, ll)
    }

    /// CSR posteriors of `n` rows through the C kernel, in as many calls as the output buffers
    /// need (sized for ~24 entries a row; the kernel stops at a block that might not fit).
    /// Returns nil after recording a failing kernel status in `status`.
    static func csrRows(_ x: UnsafePointer<Float>, _ n: Int, _ gmm: GMMParameters, _ threshold: Float,
                        _ status: StatusCollector) -> (SparsePosteriors, Double)? {
        let d = gmm.dimension, k = gmm.clusters
        let wsSize = lrp_gmm_posteriors_workspace_size(Int32(n), Int32(d), Int32(k))
        let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsSize, 1), alignment: 64)
        defer { ws.deallocate() }
        let capacity = max(min(n, 256) * k, 24 * n + 256 * k)
        let comps = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let vals = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let starts = UnsafeMutablePointer<Int32>.allocate(capacity: n + 1)
        defer { comps.deallocate(); vals.deallocate(); starts.deallocate() }
        var rowStart: [Int32] = [0], components: [Int32] = [], values: [Float] = []
        rowStart.reserveCapacity(n + 1)
        var ll = 0.0, start = 0
        while start < n {
            var done: Int32 = 0, entries = 0, callLL = 0.0
            let s = gmm.means.withUnsafeBufferPointer { mp in
                gmm.covariances.withUnsafeBufferPointer { cp in
                    gmm.priors.withUnsafeBufferPointer { pp in
                        lrp_gmm_posteriors_csr(x + start * d, Int32(n - start), Int32(d), mp.baseAddress, cp.baseAddress,
                                               pp.baseAddress, Int32(k), threshold, starts, comps, vals, capacity,
                                               &done, &entries, &callLL, ws, wsSize)
                    }
                }
            }
            // no row done with LRP_OK: the output buffers cannot take one block
            guard s == LRP_OK.rawValue, done > 0 else {
                status.check(s == LRP_OK.rawValue ? LRP_E_NOMEM.rawValue : s)
                return nil
            }
            let offset = Int32(components.count)
            rowStart += UnsafeBufferPointer(start: starts + 1, count: Int(done)).map { $0 + offset }
            components += UnsafeBufferPointer(start: comps, count: entries)
            values += UnsafeBufferPointer(start: vals, count: entries)
            ll += callLL
            start += Int(done)
        }
        return (SparsePosteriors(count: n, clusters: k, rowStart: rowStart, components: components, values: values), ll)
    }
}
