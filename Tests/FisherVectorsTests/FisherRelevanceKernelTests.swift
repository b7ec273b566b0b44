import CKernels
import Foundation
import XCTest
@testable import FisherVectors

/// Per-descriptor-dimension Fisher relevance against a direct double-precision loop over
/// descriptors, components and dimensions, and its conservation.
final class FisherRelevanceKernelTests: XCTestCase {
    typealias S = FVKernelTestSupport

    func setUp(n: Int, d: Int, k: Int, spread: Double, seed: UInt64)
        throws -> (GMMParameters, [Float], [Float], PyramidCells, [Float]) {
        let (gmm, data) = S.syntheticGMM(n: n, d: d, k: k, spread: spread, seed: seed)
        let q = try GMMKernels.posteriors(data: data, count: n, gmm: gmm, threshold: 1e-6).posteriors
        var rng = S.RNG(seed + 100)
        let cells = PyramidCells(numCells: 5, cellsPerDescriptor: 2,
                                 indices: (0..<n).flatMap { l in [Int32(0), l % 11 == 0 ? -1 : Int32(1 + rng.next() % 4)] })
        let ratios = (0..<(5 * gmm.fisherLength)).map { _ in Float(rng.gauss()) }
        return (gmm, data, q, cells, ratios)
    }

    func reference(_ gmm: GMMParameters, _ data: [Float], _ q: [Float], _ cells: PyramidCells, _ s: [Float]) -> [Double] {
        let d = gmm.dimension, k = gmm.clusters, len = gmm.fisherLength, n = q.count / k
        var r = [Double](repeating: 0, count: n * d)
        for l in 0..<n {
            for j in 0..<cells.cellsPerDescriptor {
                let cell = Int(cells.indices[l * cells.cellsPerDescriptor + j])
                if cell < 0 { continue }
                for c in 0..<k {
                    let p = Double(q[l * k + c]), pi = Double(gmm.priors[c])
                    for i in 0..<d {
                        let s2 = Double(gmm.covariances[c * d + i]), t = Double(data[l * d + i]) - Double(gmm.means[c * d + i])
                        let zm = p * t / (s2.squareRoot() * pi.squareRoot())
                        let zv = p * (t * t / s2 - 1) / (2 * pi).squareRoot()
                        r[l * d + i] += zm * Double(s[cell * len + c * d + i]) + zv * Double(s[cell * len + k * d + c * d + i])
                    }
                }
            }
        }
        return r
    }

    func testMatchesDirectDoubleLoop() throws {
        try S.onBothPaths { path in
            for (spread, seed) in [(2.0, 1), (40.0, 2)] {
                let (gmm, data, q, cells, ratios) = try setUp(n: 240, d: 10, k: 14, spread: spread, seed: UInt64(seed))
                let ref = reference(gmm, data, q, cells, ratios)
                let scale = ref.map { abs($0) }.max()!
                for algorithm in [FisherAlgorithm.sparse, .gemm, .automatic] {
                    let r = try FisherRelevanceKernel.relevance(data: data, count: 240, gmm: gmm, posteriors: q, cells: cells,
                                                                ratios: ratios, algorithm: algorithm)
                    let worst = zip(r, ref).map { abs(Double($0) - $1) }.max()!
                    // the GEMM form expands (x−μ)², so it loses a few more digits than the direct form
                    XCTAssertLessThanOrEqual(worst, (algorithm == .gemm ? 2e-4 : 1e-5) * scale,
                                             "spread \(spread) \(algorithm) \(path)")
                }
            }
        }
    }

    /// Σ_l R_l = Σ_c Σ_d z_c,d s_c,d: the descriptor step conserves what the ratios carry.
    func testConservesTheCellTotal() throws {
        let n = 500
        let (gmm, data, q, cells, ratios) = try setUp(n: n, d: 16, k: 24, spread: 3, seed: 5)
        let (z, _) = try FisherEncoding.cellStatistics(data: data, count: n, gmm: gmm, posteriors: q, cells: cells)
        let total = zip(z, ratios).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(z, ratios).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        for algorithm in [FisherAlgorithm.sparse, .gemm] {
            let r = try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: q, cells: cells,
                                                        ratios: ratios, algorithm: algorithm)
            let sum = r.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, total, accuracy: 1e-5 * magnitude, "\(algorithm)")
        }
    }

    func testRowRangesComposeAndInputsAreChecked() throws {
        let n = 130
        let (gmm, data, q, cells, ratios) = try setUp(n: n, d: 9, k: 7, spread: 5, seed: 9)
        let whole = try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: q, cells: cells, ratios: ratios,
                                                        algorithm: .sparse)
        var parts = [Float](repeating: .nan, count: n * 9)
        let ws = lrp_fisher_relevance_workspace_size(Int32(n), 9, 7, 5)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ws, alignment: 64)
        defer { buffer.deallocate() }
        for (l0, l1) in [(0, 50), (50, 51), (51, 130)] {
            let s = parts.withUnsafeMutableBufferPointer { p in
                lrp_fisher_relevance(data, Int32(n), 9, gmm.means, gmm.covariances, gmm.priors, 7, q, cells.indices, 2, 5,
                                     ratios, Int32(l0), Int32(l1), Int32(LRP_FISHER_SPARSE.rawValue),
                                     p.baseAddress! + l0 * 9, buffer, ws)
            }
            XCTAssertEqual(s, LRP_OK.rawValue)
        }
        XCTAssertEqual(parts, whole)
        XCTAssertThrowsError(try FisherRelevanceKernel.relevance(data: data, count: n, gmm: gmm, posteriors: q, cells: cells,
                                                                 ratios: Array(ratios.dropLast())))
    }
}
