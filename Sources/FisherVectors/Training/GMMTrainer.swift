import Foundation
import LRPCore

/// Options of GMM training (EM with diagonal covariances).
public struct GMMTrainingOptions: Sendable, Equatable {
    public var componentCount: Int = 256
    public var maxIterations: Int = 25
    /// Stop when the relative change of the log-likelihood falls below this (VLFeat: 1e-5).
    public var tolerance: Double = 1e-5
    /// Variance floor as a fraction of the largest per-dimension data variance — what VLFeat's
    /// own recognition code passes to `vl_gmm` (`'CovarianceBound', max(var(X'))*1e-4`).
    public var varianceFloorFraction: Double = 1e-4
    /// Lloyd iterations of the k-means initialisation.
    public var kmeansIterations: Int = 10
    public var seed: UInt64 = 1

    public init() {}
}

public struct GMMTrainingSummary: Sendable {
    /// Total data log-likelihood (natural log, with the 2π constant) after each EM iteration.
    public var logLikelihoods: [Double]
    public var iterations: Int { logLikelihoods.count }
    public var finalLogLikelihood: Double { logLikelihoods.last ?? -.infinity }
    /// Components that became empty and were re-seeded by splitting another.
    public var restarts: Int
}

/// Fits a diagonal GMM (`GMMParameters`) to descriptors: k-means++/Lloyd initialisation (cluster means,
/// variances and masses, as VLFeat's `VlGMMKMeans`), then EM.
public enum GMMTrainer {
    public static func train(data: [Float], count: Int, dimension: Int, options: GMMTrainingOptions = GMMTrainingOptions(),
                             progress: ProgressHandler? = nil) throws -> (GMMParameters, GMMTrainingSummary) {
        let k = options.componentCount
        guard k >= 1 else { throw LRPError("GMM needs at least one component") }
        guard count >= k else { throw LRPError("GMM with \(k) components needs at least \(k) descriptors, got \(count)") }
        let floor = varianceFloor(data: data, count: count, dimension: dimension, fraction: options.varianceFloorFraction)
        let km = try KMeans.cluster(data: data, count: count, dimension: dimension, k: k,
                                    maxIterations: options.kmeansIterations, seed: options.seed, progress: progress)
        let initial = initialMixture(data: data, count: count, dimension: dimension, assignments: km.assignments,
                                     k: k, floor: floor)
        return try expectationMaximisation(initial: initial, data: data, count: count, floor: floor,
                                           maxIterations: options.maxIterations, tolerance: options.tolerance,
                                           progress: progress)
    }

    /// `fraction × max_d var(x_d)` for every dimension (a scalar floor, as VLFeat's code uses).
    public static func varianceFloor(data: [Float], count: Int, dimension d: Int, fraction: Double) -> [Float] {
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        for n in 0..<count { for j in 0..<d { let v = Double(data[n * d + j]); mean[j] += v; sq[j] += v * v } }
        var largest = 0.0
        for j in 0..<d {
            let m = mean[j] / Double(count)
            largest = max(largest, sq[j] / Double(count) - m * m)
        }
        return [Float](repeating: Float(max(fraction * largest, 1e-12)), count: d)
    }

    /// Hard-assignment mixture: per cluster mean, variance (floored) and mass fraction.
    public static func initialMixture(data: [Float], count: Int, dimension d: Int, assignments: [Int32], k: Int,
                                      floor: [Float]) -> GMMParameters {
        var s0 = [Double](repeating: 0, count: k)
        var s1 = [Double](repeating: 0, count: k * d), s2 = [Double](repeating: 0, count: k * d)
        for n in 0..<count {
            let c = Int(assignments[n]); s0[c] += 1
            for j in 0..<d { let v = Double(data[n * d + j]); s1[c * d + j] += v; s2[c * d + j] += v * v }
        }
        var gmm = GMMParameters(dimension: d, clusters: k, means: [Float](repeating: 0, count: k * d),
                                covariances: [Float](repeating: 1, count: k * d), priors: [Float](repeating: 0, count: k))
        _ = mStep(&gmm, s0: s0, s1: s1, s2: s2, total: Double(count), floor: floor)
        return gmm
    }

    /// EM from `initial` until the relative log-likelihood change is below `tolerance` or
    /// `maxIterations` M-steps were taken. The returned summary's last log-likelihood is that
    /// of the returned model.
    public static func expectationMaximisation(initial: GMMParameters, data: [Float], count: Int, floor: [Float],
                                               maxIterations: Int, tolerance: Double,
                                               progress: ProgressHandler? = nil) throws -> (GMMParameters, GMMTrainingSummary) {
        guard data.count == count * initial.dimension, floor.count == initial.dimension else {
            throw LRPError("GMM: data of \(data.count) values is not \(count)×\(initial.dimension)")
        }
        var gmm = initial
        var history: [Double] = []
        var restarts = 0
        var stats = try GMMKernels.emStatistics(data: data, count: count, gmm: gmm)
        history.append(stats.logLikelihood)
        for it in 0..<maxIterations {
            restarts += mStep(&gmm, s0: stats.mass, s1: stats.sumX, s2: stats.sumX2, total: Double(count), floor: floor)
            stats = try GMMKernels.emStatistics(data: data, count: count, gmm: gmm)
            let previous = history.last!
            history.append(stats.logLikelihood)
            progress?(ProgressEvent(stage: "gmm", done: it + 1, total: maxIterations,
                                    detail: String(format: "log-likelihood per descriptor %.4f", stats.logLikelihood / Double(count))))
            guard stats.logLikelihood.isFinite else { throw LRPError("GMM training diverged (non-finite log-likelihood)") }
            if abs((stats.logLikelihood - previous) / stats.logLikelihood) < tolerance { break }
        }
        return (gmm, GMMTrainingSummary(logLikelihoods: history, restarts: restarts))
    }

    /// M-step from sufficient statistics. Components with (almost) no mass are re-seeded by
    /// splitting the heaviest component along its widest dimension. Returns how many were.
    @discardableResult
    static func mStep(_ gmm: inout GMMParameters, s0: [Double], s1: [Double], s2: [Double], total: Double,
                      floor: [Float]) -> Int {
        let k = gmm.clusters, d = gmm.dimension
        let minimumMass = 1e-2 * max(1, total / Double(k)) // VLFeat's threshold for an empty mode
        var empty: [Int] = []
        for c in 0..<k {
            if s0[c] < minimumMass { empty.append(c); continue }
            for j in 0..<d {
                let m = s1[c * d + j] / s0[c]
                let v = s2[c * d + j] / s0[c] - m * m
                gmm.means[c * d + j] = Float(m)
                gmm.covariances[c * d + j] = max(Float(v), floor[j])
            }
            gmm.priors[c] = Float(s0[c] / total)
        }
        for c in empty {
            let heavy = (0..<k).max { gmm.priors[$0] < gmm.priors[$1] }!
            let widest = (0..<d).max { gmm.covariances[heavy * d + $0] < gmm.covariances[heavy * d + $1] }!
            let sigma = gmm.covariances[heavy * d + widest].squareRoot()
            for j in 0..<d {
                gmm.means[c * d + j] = gmm.means[heavy * d + j]
                gmm.covariances[c * d + j] = gmm.covariances[heavy * d + j]
            }
            gmm.means[c * d + widest] -= sigma
            gmm.means[heavy * d + widest] += sigma
            gmm.priors[heavy] /= 2
            gmm.priors[c] = gmm.priors[heavy]
        }
        let sum = gmm.priors.reduce(0, +)
        if sum > 0 { for c in 0..<k { gmm.priors[c] /= sum } }
        return empty.count
    }

    /// Total log-likelihood of data under a model (natural log, with the 2π constant).
    public static func logLikelihood(_ gmm: GMMParameters, data: [Float], count: Int) throws -> Double {
        try GMMKernels.posteriors(data: data, count: count, gmm: gmm).logLikelihood
    }
}
