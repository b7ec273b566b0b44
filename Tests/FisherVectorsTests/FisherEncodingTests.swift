import CKernels
import CVLFeat
import Foundation
import XCTest
@testable import FisherVectors

/// Improved Fisher vectors against vl_fisher_encode(VL_FISHER_FLAG_IMPROVED), and the
/// per-cell sum-pooled statistics against their definition.
final class FisherEncodingTests: XCTestCase {
    typealias S = FVKernelTestSupport

    func vlFisher(_ gmm: GMMParameters, _ data: [Float], _ n: Int) -> [Float] {
        var enc = [Float](repeating: 0, count: gmm.fisherLength)
        enc.withUnsafeMutableBufferPointer { e in
            _ = vl_fisher_encode(e.baseAddress, vl_type(VL_TYPE_FLOAT), gmm.means, vl_size(gmm.dimension), vl_size(gmm.clusters),
                                 gmm.covariances, gmm.priors, data, vl_size(n), Int32(VL_FISHER_FLAG_IMPROVED))
        }
        return enc
    }

    func testSingleCellMatchesVLFisherEncode() throws {
        try S.onBothPaths { path in
            for (spread, n, k) in [(0.5, 3000, 64), (3.0, 2000, 128), (30.0, 800, 32)] {
                let (gmm, data) = S.syntheticGMM(n: n, d: 80, k: k, spread: spread, seed: UInt64(k))
                let vl = vlFisher(gmm, data, n)
                let q = try GMMKernels.posteriors(data: data, count: n, gmm: gmm, threshold: FisherEncoding.vlfeatPosteriorThreshold)
                for algorithm in [FisherAlgorithm.sparse, .gemm, .automatic] {
                    var (z, counts) = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: q.posteriors,
                                                                         cells: .single(count: n), algorithm: algorithm)
                    XCTAssertEqual(counts, [Int32(n)])
                    FisherEncoding.normalize(&z, counts: counts, length: gmm.fisherLength)
                    let worst = zip(z, vl).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(worst, 1e-5, "spread \(spread) \(algorithm) \(path)")
                }
                XCTAssertEqual(try FisherEncoding.encode(data: data, count: n, gmm: gmm).count, gmm.fisherLength)
            }
        }
    }

    /// z_d = Σ_l z_ld in double straight from the definition, for every cell.
    func referenceStatistics(_ gmm: GMMParameters, _ data: [Float], _ q: [Float], _ cells: PyramidCells) -> [Double] {
        let d = gmm.dimension, k = gmm.clusters, len = 2 * k * d
        var z = [Double](repeating: 0, count: cells.numCells * len)
        for l in 0..<(q.count / k) {
            for j in 0..<cells.cellsPerDescriptor {
                let cell = Int(cells.indices[l * cells.cellsPerDescriptor + j])
                if cell < 0 { continue }
                for c in 0..<k {
                    let p = Double(q[l * k + c]), pi = Double(gmm.priors[c])
                    if p == 0 { continue }
                    for i in 0..<d {
                        let s2 = Double(gmm.covariances[c * d + i]), t = Double(data[l * d + i]) - Double(gmm.means[c * d + i])
                        z[cell * len + c * d + i] += p * t / (s2.squareRoot() * pi.squareRoot())
                        z[cell * len + k * d + c * d + i] += p * (t * t / s2 - 1) / (2 * pi).squareRoot()
                    }
                }
            }
        }
        return z
    }

    /// Cells of a 1×1 + 2×2 + 3×1 pyramid from random positions (one cell per level; some
    /// descriptors outside the 3×1 level to exercise −1).
    func pyramid(_ n: Int, seed: UInt64) -> PyramidCells {
        var rng = S.RNG(seed)
        var idx = [Int32]()
        for l in 0..<n {
            let x = rng.uniform(), y = rng.uniform()
            idx.append(0)
            idx.append(Int32(1 + (x < 0.5 ? 0 : 1) + (y < 0.5 ? 0 : 2)))
            idx.append(l % 17 == 0 ? -1 : Int32(5 + min(2, Int(y * 3))))
        }
        return PyramidCells(numCells: 8, cellsPerDescriptor: 3, indices: idx)
    }

    func testCellStatisticsMatchDefinition() throws {
        try S.onBothPaths { path in
            let n = 900, d = 12, k = 20
            let (gmm, data) = S.syntheticGMM(n: n, d: d, k: k, spread: 4, seed: 21)
            let q = try GMMKernels.posteriors(data: data, count: n, gmm: gmm, threshold: 1e-6).posteriors
            let cells = pyramid(n, seed: 3)
            let ref = referenceStatistics(gmm, data, q, cells)
            let scale = ref.map { abs($0) }.max()!
            for algorithm in [FisherAlgorithm.sparse, .gemm] {
                let (z, counts) = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: q,
                                                                     cells: cells, algorithm: algorithm)
                let worst = zip(z, ref).map { abs(Double($0) - $1) }.max()!
                XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(algorithm) \(path)")
                XCTAssertEqual(counts[0], Int32(n))
                XCTAssertEqual(counts[1...4].reduce(0, +), Int32(n))
                XCTAssertEqual(counts[5...7].reduce(0, +), Int32(n - (n + 16) / 17))
                // the 2×2 level sums to the whole image (same descriptors, no normalisation)
                let len = gmm.fisherLength
                for j in stride(from: 0, to: len, by: 97) {
                    let level = (1...4).map { Double(z[$0 * len + j]) }.reduce(0, +)
                    XCTAssertEqual(level, Double(z[j]), accuracy: 1e-5 * scale)
                }
            }
        }
    }

    func testClusterRangesAreIndependentAndEmptyCellsNormaliseToZero() throws {
        let n = 400, d = 8, k = 9
        let (gmm, data) = S.syntheticGMM(n: n, d: d, k: k, spread: 3, seed: 5)
        let q = try GMMKernels.posteriors(data: data, count: n, gmm: gmm, threshold: 1e-6).posteriors
        let cells = PyramidCells(numCells: 3, cellsPerDescriptor: 1, indices: (0..<n).map { Int32($0 % 2) })
        let (whole, counts) = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: q, cells: cells,
                                                                 algorithm: .sparse)
        XCTAssertEqual(counts, [200, 200, 0])
        // compute components in three ranges through the C kernel directly
        var parts = [Float](repeating: .nan, count: whole.count)
        let ws = lrp_fisher_workspace_size(Int32(n), Int32(d), Int32(k), 3)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ws, alignment: 64)
        defer { buffer.deallocate() }
        for (k0, k1) in [(0, 2), (2, 7), (7, 9)] {
            let s = lrp_fisher_cell_statistics(data, Int32(n), Int32(d), gmm.means, gmm.covariances, gmm.priors, Int32(k), q,
                                               cells.indices, 1, 3, Int32(k0), Int32(k1), Int32(LRP_FISHER_SPARSE.rawValue),
                                               &parts, nil, buffer, ws)
            XCTAssertEqual(s, LRP_OK.rawValue)
        }
        XCTAssertEqual(parts, whole)
        var normalised = whole
        FisherEncoding.normalize(&normalised, counts: counts, length: gmm.fisherLength)
        XCTAssertTrue(normalised[(2 * gmm.fisherLength)...].allSatisfy { $0 == 0 })
        let norm = normalised[0..<gmm.fisherLength].reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(norm, 1, accuracy: 1e-5)
    }

    func testBadCellTablesAreErrors() throws {
        let (gmm, data) = S.syntheticGMM(n: 10, d: 4, k: 3, spread: 1, seed: 1)
        let q = try GMMKernels.posteriors(data: data, count: 10, gmm: gmm).posteriors
        XCTAssertThrowsError(try FisherEncoding.cellStatistics(data: data, count: 10, gmm: gmm, posteriors: q,
                                                               cells: PyramidCells(numCells: 2, cellsPerDescriptor: 1, indices: [Int32](repeating: 2, count: 10))))
        XCTAssertThrowsError(try FisherEncoding.cellStatistics(data: data, count: 10, gmm: gmm, posteriors: q,
                                                               cells: PyramidCells(numCells: 2, cellsPerDescriptor: 1, indices: [0])))
    }
}
