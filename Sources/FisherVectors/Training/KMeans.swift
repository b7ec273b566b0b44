import COpenBLAS
import Foundation
import LRPCore

/// Lloyd's k-means with k-means++ seeding, used to initialise the GMM. Distances come from
/// one GEMM per chunk (`‖x‖² − 2 x·c + ‖c‖²`), split across the cores.
public enum KMeans {
    public struct Result: Sendable {
        /// `k × dimension`, row-major.
        public var centers: [Float]
        /// Cluster index of every sample.
        public var assignments: [Int32]
        public var iterations: Int
        /// Sum of squared distances to the assigned centres.
        public var energy: Double
    }

    /// - Parameters:
    ///   - data: `count × dimension`, row-major.
    ///   - seedingSample: k-means++ runs on at most this many randomly chosen samples.
    ///   - maxIterations: Lloyd iterations (stops earlier when fewer than 0.1% of the
    ///     assignments change).
    public static func cluster(data: [Float], count: Int, dimension: Int, k: Int, maxIterations: Int = 20,
                               seedingSample: Int = 20_000, seed: UInt64 = 1,
                               progress: ProgressHandler? = nil) throws -> Result {
        BLASThreads.apply()
        guard k >= 1, count >= k else { throw LRPError("k-means: need at least \(k) samples, got \(count)") }
        var rng = SplitMix64(seed: seed)
        var centers = seedPlusPlus(data: data, count: count, dimension: dimension, k: k, sampleSize: seedingSample, rng: &rng)
        var assignments = [Int32](repeating: -1, count: count)
        var energy = 0.0
        var iterations = 0
        for it in 0..<maxIterations {
            let (newAssign, distances) = assign(data: data, count: count, dimension: dimension, centers: centers, k: k)
            var changed = 0
            for i in 0..<count where newAssign[i] != assignments[i] { changed += 1 }
            assignments = newAssign
            energy = distances.reduce(0) { $0 + Double($1) }
            iterations = it + 1
            progress?(ProgressEvent(stage: "kmeans", done: iterations, total: maxIterations,
                                    detail: String(format: "energy %.4g, %d reassigned", energy, changed)))
            // Update step in double.
            var sums = [Double](repeating: 0, count: k * dimension)
            var counts = [Int](repeating: 0, count: k)
            for i in 0..<count {
                let c = Int(assignments[i]); counts[c] += 1
                for j in 0..<dimension { sums[c * dimension + j] += Double(data[i * dimension + j]) }
            }
            // Empty clusters take the samples farthest from their centres.
            let far = distances.indices.sorted { distances[$0] > distances[$1] }
            var nextFar = 0
            for c in 0..<k {
                if counts[c] > 0 {
                    for j in 0..<dimension { centers[c * dimension + j] = Float(sums[c * dimension + j] / Double(counts[c])) }
                } else {
                    let i = far[nextFar]; nextFar += 1
                    for j in 0..<dimension { centers[c * dimension + j] = data[i * dimension + j] }
                }
            }
            if it > 0 && changed * 1000 < count { break }
        }
        return Result(centers: centers, assignments: assignments, iterations: iterations, energy: energy)
    }

    /// Nearest centre of every sample and its squared distance.
    public static func assign(data: [Float], count: Int, dimension: Int, centers: [Float], k: Int) -> ([Int32], [Float]) {
        var assignments = [Int32](repeating: 0, count: count)
        var distances = [Float](repeating: 0, count: count)
        let centerNorms = (0..<k).map { c in (0..<dimension).reduce(Float(0)) { $0 + centers[c * dimension + $1] * centers[c * dimension + $1] } }
        data.withUnsafeBufferPointer { x in
            assignments.withUnsafeMutableBufferPointer { a in
                distances.withUnsafeMutableBufferPointer { dist in
                    let aBase = a.baseAddress!, dBase = dist.baseAddress!
                    Parallel.forChunks(count, minChunk: 1024) { range in
                        let rowsPerGemm = 1024
                        var dots = [Float](repeating: 0, count: rowsPerGemm * k)
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let rows = min(rowsPerGemm, range.upperBound - start)
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(dimension),
                                        1, x.baseAddress! + start * dimension, Int32(dimension), centers, Int32(dimension),
                                        0, &dots, Int32(k))
                            for r in 0..<rows {
                                let i = start + r
                                var xn: Float = 0
                                for j in 0..<dimension { let v = x[i * dimension + j]; xn += v * v }
                                var best = 0
                                var bestD = Float.infinity
                                for c in 0..<k {
                                    let dd = centerNorms[c] - 2 * dots[r * k + c]
                                    if dd < bestD { bestD = dd; best = c }
                                }
                                aBase[i] = Int32(best)
                                dBase[i] = max(0, bestD + xn)
                            }
                            start += rows
                        }
                    }
                }
            }
        }
        return (assignments, distances)
    }

    /// k-means++ (Arthur & Vassilvitskii 2007) on a random subset of the samples.
    static func seedPlusPlus(data: [Float], count: Int, dimension: Int, k: Int, sampleSize: Int,
                             rng: inout SplitMix64) -> [Float] {
        var pool = Array(0..<count)
        if count > max(sampleSize, k) {
            pool.shuffle(using: &rng)
            pool = Array(pool[0..<max(sampleSize, k)])
        }
        func dist2(_ i: Int, _ center: ArraySlice<Float>) -> Float {
            var s: Float = 0
            var j = 0
            for v in center { let t = data[i * dimension + j] - v; s += t * t; j += 1 }
            return s
        }
        var centers: [Float] = []
        centers.reserveCapacity(k * dimension)
        let first = pool[Int.random(in: 0..<pool.count, using: &rng)]
        centers += data[(first * dimension)..<((first + 1) * dimension)]
        var best = pool.map { dist2($0, centers[0..<dimension]) }
        for c in 1..<k {
            let total = best.reduce(0.0) { $0 + Double($1) }
            var pick = 0
            if total > 0 {
                var r = Double.random(in: 0..<total, using: &rng)
                for (p, dd) in best.enumerated() { r -= Double(dd); if r < 0 { pick = p; break } }
            } else {
                pick = Int.random(in: 0..<pool.count, using: &rng)
            }
            let i = pool[pick]
            centers += data[(i * dimension)..<((i + 1) * dimension)]
            let newCenter = centers[(c * dimension)..<((c + 1) * dimension)]
            for p in pool.indices { best[p] = min(best[p], dist2(pool[p], newCenter)) }
        }
        return centers
    }
}
