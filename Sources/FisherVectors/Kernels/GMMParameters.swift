import LRPCore


/// A diagonal Gaussian mixture in VLFeat's layout: `means` and `covariances` (variances σ²)
/// are `clusters × dimension` row-major, `priors` has `clusters` entries.
public struct GMMParameters: Sendable, Equatable {
    public var dimension: Int
    public var clusters: Int
    public var means: [Float]
    public var covariances: [Float]
    public var priors: [Float]

    public init(dimension: Int, clusters: Int, means: [Float], covariances: [Float], priors: [Float]) {
        self.dimension = dimension
        self.clusters = clusters
        self.means = means
        self.covariances = covariances
        self.priors = priors
    }

    /// Throws unless the array sizes agree and every variance and prior is usable.
    public func validate() throws {
        guard dimension > 0, clusters > 0 else { throw LRPError("GMM: dimension and cluster count must be positive") }
        guard means.count == clusters * dimension, covariances.count == clusters * dimension, priors.count == clusters else {
            throw LRPError("GMM: parameter arrays do not match \(clusters) components of dimension \(dimension)")
        }
        guard covariances.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw LRPError("GMM: variances must be positive and finite") }
        guard means.allSatisfy({ $0.isFinite }), priors.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw LRPError("GMM: means and priors must be finite (priors non-negative)")
        }
    }

    /// Length of one Fisher vector (one pyramid cell): 2·K·D.
    public var fisherLength: Int { 2 * clusters * dimension }
}
