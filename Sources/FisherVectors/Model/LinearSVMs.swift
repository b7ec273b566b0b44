import COpenBLAS
import LRPCore

/// One-vs-rest linear classifiers: `score_c(x) = w_c · x + b_c`.
public struct LinearSVMs: Sendable, Equatable {
    public var classCount: Int
    public var dimension: Int
    /// `classCount × dimension`, row-major.
    public var weights: [Float]
    /// `classCount` biases.
    public var biases: [Float]

    public init(classCount: Int, dimension: Int, weights: [Float], biases: [Float]) {
        precondition(weights.count == classCount * dimension && biases.count == classCount)
        self.classCount = classCount
        self.dimension = dimension
        self.weights = weights
        self.biases = biases
    }

    /// Scores of one vector of `dimension` values.
    public func scores(_ x: UnsafePointer<Float>) -> [Float] {
        BLASThreads.apply()
        var out = biases
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(classCount), Int32(dimension), 1, weights, Int32(dimension),
                    x, 1, 1, &out, 1)
        return out
    }

    public func scores(_ x: [Float]) -> [Float] {
        precondition(x.count == dimension)
        return x.withUnsafeBufferPointer { scores($0.baseAddress!) }
    }
}
