import COpenBLAS
import Foundation
import LRPCore

/// Principal component analysis of descriptors: centre on the sample mean, project on the
/// eigenvectors of the sample covariance with the largest eigenvalues. No whitening: the GMM
/// that follows has per-dimension variances, so scaling the axes would change nothing it
/// cannot absorb, and unwhitened components keep the descriptor scale that the relevance
/// step's epsilon (docs/DESIGN.md §4) is defined on.
public struct PCA: Sendable, Equatable {
    public var inputDimension: Int
    public var outputDimension: Int
    /// Sample mean, `inputDimension` values.
    public var mean: [Float]
    /// Projection, `outputDimension × inputDimension` row-major: row i is the i-th principal
    /// axis (unit length), in order of decreasing variance.
    public var components: [Float]
    /// Variance of the data along each kept axis (the eigenvalues), decreasing.
    public var variances: [Float]

    public init(inputDimension: Int, outputDimension: Int, mean: [Float], components: [Float], variances: [Float]) {
        precondition(mean.count == inputDimension && components.count == inputDimension * outputDimension)
        precondition(variances.count == outputDimension)
        self.inputDimension = inputDimension
        self.outputDimension = outputDimension
        self.mean = mean
        self.components = components
        self.variances = variances
    }

    /// Fits the projection to `count` samples of `dimension` values each (row-major).
    /// The covariance is accumulated and decomposed in double precision (LAPACK `dsyevd`).
    /// Each axis' sign is fixed so that its largest-magnitude coordinate is positive, making
    /// the result independent of the LAPACK build.
    /// - Throws: `LRPError` for fewer than 2 samples, `outputDimension` out of range, or a
    ///   failed decomposition.
    public static func fit(samples: [Float], count: Int, dimension: Int, outputDimension: Int) throws -> PCA {
        BLASThreads.apply()
        guard count >= 2 else { throw LRPError("PCA needs at least 2 descriptors, got \(count)") }
        guard dimension > 0, samples.count == count * dimension else {
            throw LRPError("PCA: \(samples.count) values are not \(count) descriptors of \(dimension)")
        }
        guard outputDimension >= 1 && outputDimension <= dimension else {
            throw LRPError("PCA dimension must be between 1 and \(dimension), got \(outputDimension)")
        }
        let d = dimension
        // Mean, in double, per worker chunk.
        var mean = [Double](repeating: 0, count: d)
        let lock = NSLock()
        samples.withUnsafeBufferPointer { x in
            Parallel.forChunks(count, minChunk: 4096) { range in
                var local = [Double](repeating: 0, count: d)
                for n in range { for j in 0..<d { local[j] += Double(x[n * d + j]) } }
                lock.lock(); for j in 0..<d { mean[j] += local[j] }; lock.unlock()
            }
        }
        for j in 0..<d { mean[j] /= Double(count) }

        // Covariance: centred blocks in double, accumulated with dsyrk (lower triangle).
        var cov = [Double](repeating: 0, count: d * d)
        samples.withUnsafeBufferPointer { x in
            Parallel.forChunks(count, minChunk: 4096) { range in
                let block = 2048
                var local = [Double](repeating: 0, count: d * d)
                var buf = [Double](repeating: 0, count: block * d)
                var start = range.lowerBound
                while start < range.upperBound {
                    let rows = min(block, range.upperBound - start)
                    for r in 0..<rows {
                        for j in 0..<d { buf[r * d + j] = Double(x[(start + r) * d + j]) - mean[j] }
                    }
                    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, Int32(d), Int32(rows), 1.0,
                                buf, Int32(d), 1.0, &local, Int32(d))
                    start += rows
                }
                lock.lock(); for i in 0..<(d * d) { cov[i] += local[i] }; lock.unlock()
            }
        }
        for i in 0..<(d * d) { cov[i] /= Double(count - 1) }
        // Row-major lower triangle == column-major upper triangle.
        let (values, vectors) = try symmetricEigen(cov, dimension: d, uplo: "U")

        var components = [Float](repeating: 0, count: outputDimension * d)
        var variances = [Float](repeating: 0, count: outputDimension)
        for i in 0..<outputDimension {
            let col = d - 1 - i // eigenvalues ascend
            var axis = (0..<d).map { vectors[col * d + $0] }
            let pivot = axis.indices.max { abs(axis[$0]) < abs(axis[$1]) }!
            if axis[pivot] < 0 { axis = axis.map { -$0 } }
            for j in 0..<d { components[i * d + j] = Float(axis[j]) }
            variances[i] = Float(max(0, values[col]))
        }
        return PCA(inputDimension: d, outputDimension: outputDimension, mean: mean.map(Float.init),
                   components: components, variances: variances)
    }

    /// Eigen-decomposition of a symmetric matrix (column-major `a`). Returns ascending
    /// eigenvalues and the eigenvectors as columns (column-major, `dimension²`).
    static func symmetricEigen(_ a: [Double], dimension: Int, uplo: String) throws -> ([Double], [Double]) {
        var n = Int32(dimension), lda = Int32(dimension), info: Int32 = 0
        var matrix = a
        var w = [Double](repeating: 0, count: dimension)
        var jobz = Int8(UInt8(ascii: "V")), up = Int8(uplo.utf8.first!)
        var workQuery = 0.0, iworkQuery: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        dsyevd_(&jobz, &up, &n, &matrix, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
        guard info == 0 else { throw LRPError("PCA: eigen-decomposition workspace query failed (info \(info))") }
        lwork = Int32(workQuery); liwork = iworkQuery
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &up, &n, &matrix, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw LRPError("PCA: eigen-decomposition did not converge (info \(info))") }
        return (w, matrix)
    }

    /// Projects `count` rows of `inputDimension` values: `y = P (x − m)`, `count × outputDimension`.
    public func project(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>) {
        BLASThreads.apply()
        guard count > 0 else { return }
        // y = x Pᵀ − (P m)ᵀ, one GEMM and a row offset.
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(outputDimension), Int32(inputDimension),
                    1, x, Int32(inputDimension), components, Int32(inputDimension), 0, y, Int32(outputDimension))
        let offset = projectedMean
        for n in 0..<count {
            let row = y + n * outputDimension
            for i in 0..<outputDimension { row[i] -= offset[i] }
        }
    }

    /// Array convenience for `project(_:count:into:)`.
    public func project(_ x: [Float], count: Int) -> [Float] {
        precondition(x.count == count * inputDimension)
        var y = [Float](repeating: 0, count: count * outputDimension)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            project(xb.baseAddress!, count: count, into: yb.baseAddress!)
        } }
        return y
    }

    /// `P m`, the mean in projected coordinates (computed in double).
    var projectedMean: [Float] {
        (0..<outputDimension).map { i in
            var s = 0.0
            for j in 0..<inputDimension { s += Double(components[i * inputDimension + j]) * Double(mean[j]) }
            return Float(s)
        }
    }
}
