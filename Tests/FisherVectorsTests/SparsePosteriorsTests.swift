import CKernels
import Foundation
import XCTest
@testable import FisherVectors

/// The CSR path the pipeline uses (posteriors → statistics → relevance without the dense N×K
/// array) against the dense kernels, which are cross-checked against VLFeat elsewhere; and the
/// descriptor-by-descriptor fallback for cell tables with many distinct rows.
final class SparsePosteriorsTests: XCTestCase {
    typealias S = FVKernelTestSupport

    /// 1×1 + 2×2 + 3×1 cells from random positions, some descriptors outside the last level.
    func pyramid(_ n: Int, seed: UInt64) -> PyramidCells {
        var rng = S.RNG(seed)
        var idx = [Int32]()
        for l in 0..<n {
            let x = rng.uniform(), y = rng.uniform()
            idx += [0, Int32(1 + (x < 0.5 ? 0 : 1) + (y < 0.5 ? 0 : 2)), l % 17 == 0 ? -1 : Int32(5 + min(2, Int(y * 3)))]
        }
        return PyramidCells(numCells: 8, cellsPerDescriptor: 3, indices: idx)
    }

    func testSparsePosteriorsAreTheDenseOnesNonZeroEntries() throws {
        try S.onBothPaths { path in
            for (spread, threshold) in [(0.5, Float(1e-6)), (3.0, Float(0)), (30.0, Float(1e-3))] {
                let n = 1500, k = 48
                let (gmm, data) = S.syntheticGMM(n: n, d: 40, k: k, spread: spread, seed: 7)
                for threads in [1, 2] {
                    // (same threads, so the same blocks of rows: the band values below e^-16 of a
                    // row's largest carry SGEMM rounding, which depends on the blocks)
                    let dense = try GMMKernels.posteriors(data: data, count: n, gmm: gmm, threshold: threshold, threads: threads)
                    let sparse = try GMMKernels.sparsePosteriors(data: data, count: n, gmm: gmm, threshold: threshold,
                                                                 threads: threads)
                    XCTAssertTrue(sparse.posteriors == SparsePosteriors(dense: dense.posteriors, count: n, clusters: k),
                                  "spread \(spread) threshold \(threshold) threads \(threads) \(path)")
                    XCTAssertEqual(sparse.logLikelihood, dense.logLikelihood, accuracy: 1e-12 * abs(dense.logLikelihood))
                    XCTAssertTrue(sparse.posteriors.values.allSatisfy { $0 > 0 && $0 >= threshold })
                }
            }
        }
    }

    /// The kernel stops at a block that might not fit and resumes from there with the same result.
    func testKernelResumesWhenTheOutputIsFull() throws {
        let n = 1000, d = 16, k = 24
        let (gmm, data) = S.syntheticGMM(n: n, d: d, k: k, spread: 2, seed: 3)
        let whole = try GMMKernels.sparsePosteriors(data: data, count: n, gmm: gmm, threshold: 0, threads: 1)
        let ws = lrp_gmm_posteriors_workspace_size(Int32(n), Int32(d), Int32(k))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ws, alignment: 64)
        defer { buffer.deallocate() }
        let capacity = 256 * k + 10 // one block of 256 rows at a time
        var rowStart: [Int32] = [0], components: [Int32] = [], values: [Float] = []
        var start = 0, calls = 0, ll = 0.0
        while start < n {
            var starts = [Int32](repeating: 0, count: n - start + 1)
            var comp = [Int32](repeating: 0, count: capacity), val = [Float](repeating: 0, count: capacity)
            var done: Int32 = 0, entries = 0, callLL = 0.0
            let s = data.withUnsafeBufferPointer { x in
                lrp_gmm_posteriors_csr(x.baseAddress! + start * d, Int32(n - start), Int32(d), gmm.means, gmm.covariances,
                                       gmm.priors, Int32(k), 0, &starts, &comp, &val, capacity, &done, &entries, &callLL,
                                       buffer, ws)
            }
            XCTAssertEqual(s, LRP_OK.rawValue)
            XCTAssertEqual(Int(done), min(256, n - start))
            rowStart += starts[1...Int(done)].map { $0 + Int32(components.count) }
            components += comp[0..<entries]
            values += val[0..<entries]
            ll += callLL
            start += Int(done)
            calls += 1
        }
        XCTAssertEqual(calls, 4)
        XCTAssertTrue(SparsePosteriors(count: n, clusters: k, rowStart: rowStart, components: components, values: values)
                      == whole.posteriors)
        XCTAssertEqual(ll, whole.logLikelihood, accuracy: 1e-12 * abs(ll))
        // too small an output for one block is an argument error
        var starts = [Int32](repeating: 0, count: n + 1), comp = [Int32](repeating: 0, count: k), val = [Float](repeating: 0, count: k)
        var done: Int32 = 0, entries = 0
        XCTAssertEqual(lrp_gmm_posteriors_csr(data, Int32(n), Int32(d), gmm.means, gmm.covariances, gmm.priors, Int32(k), 0,
                                              &starts, &comp, &val, k, &done, &entries, nil, buffer, ws),
                       LRP_E_ARGUMENT.rawValue)
    }

    /// Statistics and relevance from CSR equal the dense calls bit for bit (same arithmetic).
    func testStatisticsAndRelevanceFromCSREqualTheDenseOnes() throws {
        try S.onBothPaths { path in
            let n = 1200, d = 24, k = 32
            let (gmm, data) = S.syntheticGMM(n: n, d: d, k: k, spread: 3, seed: 11)
            let dense = try GMMKernels.posteriors(data: data, count: n, gmm: gmm, threshold: 1e-6).posteriors
            let sparse = try GMMKernels.sparsePosteriors(data: data, count: n, gmm: gmm, threshold: 1e-6).posteriors
            let cells = pyramid(n, seed: 4)
            for threads in [1, 2] {
                let a = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: dense, cells: cells,
                                                          algorithm: .sparse, threads: threads)
                let b = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: sparse, cells: cells,
                                                          threads: threads)
                XCTAssertEqual(a.statistics, b.statistics, "\(path) threads \(threads)")
                XCTAssertEqual(a.counts, b.counts)
                var rng = S.RNG(5)
                let ratios = (0..<(cells.numCells * gmm.fisherLength)).map { _ in Float(rng.gauss()) }
                let ra = try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: dense, cells: cells,
                                                             ratios: ratios, algorithm: .sparse, threads: threads)
                let rb = try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: sparse, cells: cells,
                                                             ratios: ratios, threads: threads)
                XCTAssertEqual(ra, rb, "\(path) threads \(threads)")
            }
        }
    }

    /// More distinct cell-table rows than the region algorithms take (32): the descriptor-by-
    /// descriptor fallback gives the statistics of the definition and the relevance of the
    /// GEMM form.
    func testManyDistinctCellRowsFallBack() throws {
        try S.onBothPaths { path in
            let n = 700, d = 12, k = 10
            let (gmm, data) = S.syntheticGMM(n: n, d: d, k: k, spread: 4, seed: 13)
            let q = try GMMKernels.sparsePosteriors(data: data, count: n, gmm: gmm, threshold: 1e-6).posteriors
            // 7 × 8 = 56 distinct rows (plus rows with one cell missing)
            var indices = [Int32]()
            for l in 0..<n {
                indices.append(Int32(l % 7))
                indices.append(l % 29 == 0 ? -1 : Int32(7 + l % 8))
            }
            let cells = PyramidCells(numCells: 15, cellsPerDescriptor: 2, indices: indices)
            let (z, counts) = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: q, cells: cells)
            let (zg, _) = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: q.dense(), cells: cells,
                                                            algorithm: .gemm)
            XCTAssertEqual(counts.reduce(0, +), Int32(2 * n - (n + 28) / 29))
            let scale = z.map { abs($0) }.max()!
            XCTAssertLessThanOrEqual(zip(z, zg).map { abs($0 - $1) }.max()!, 1e-4 * scale, path)
            var rng = S.RNG(6)
            let ratios = (0..<(cells.numCells * gmm.fisherLength)).map { _ in Float(rng.gauss()) }
            let r = try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: q, cells: cells, ratios: ratios)
            let rg = try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: q.dense(), cells: cells,
                                                         ratios: ratios, algorithm: .gemm)
            let rscale = rg.map { abs($0) }.max()!
            XCTAssertLessThanOrEqual(zip(r, rg).map { abs($0 - $1) }.max()!, 2e-4 * rscale, path)
            // conservation: Σ_l R_l = Σ_c Σ_d z_cd s_cd
            let total = zip(z, ratios).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let magnitude = zip(z, ratios).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            XCTAssertEqual(r.reduce(0.0) { $0 + Double($1) }, total, accuracy: 1e-5 * magnitude, path)
        }
    }

    func testMalformedTablesAreErrors() throws {
        let n = 20, k = 5
        let (gmm, data) = S.syntheticGMM(n: n, d: 4, k: k, spread: 1, seed: 1)
        let q = try GMMKernels.sparsePosteriors(data: data, count: n, gmm: gmm, threshold: 1e-6).posteriors
        let cells = PyramidCells.single(count: n)
        var bad = q
        bad.components[0] = Int32(k)
        XCTAssertThrowsError(try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: bad, cells: cells))
        bad = q
        bad.rowStart[3] = bad.rowStart[4] + 1
        XCTAssertThrowsError(try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: bad, cells: cells))
        XCTAssertThrowsError(try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: bad, cells: cells,
                                                                 ratios: [Float](repeating: 1, count: gmm.fisherLength)))
        XCTAssertThrowsError(try FisherEncoding.cellStatistics(data: Array(data.dropLast(4)), count: n - 1, gmm: gmm,
                                                               posteriors: q, cells: .single(count: n - 1)))
        // and the C kernel checks the table itself
        var rowStart = q.rowStart
        rowStart[0] = 1
        var stats = [Float](repeating: 0, count: gmm.fisherLength)
        let ws = lrp_fisher_workspace_size(Int32(n), 4, Int32(k), 1)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ws, alignment: 64)
        defer { buffer.deallocate() }
        XCTAssertEqual(lrp_fisher_cell_statistics_csr(data, Int32(n), 4, gmm.means, gmm.covariances, gmm.priors, Int32(k),
                                                      rowStart, q.components, q.values, cells.indices, 1, 1, 0, Int32(k),
                                                      &stats, nil, buffer, ws), LRP_E_ARGUMENT.rawValue)
    }
}
