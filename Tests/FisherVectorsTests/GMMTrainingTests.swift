import CVLFeat
import XCTest
@testable import FisherVectors

final class GMMTrainingTests: XCTestCase {
    /// Clustered data: `k` Gaussian blobs with different spreads per dimension.
    static func blobs(n: Int, d: Int, k: Int, seed: UInt64, range: Double = 40) -> [Float] {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        func gauss() -> Double { (-2 * log(max(1e-12, uniform()))).squareRoot() * cos(2 * .pi * uniform()) }
        let centres = (0..<(k * d)).map { _ in (uniform() - 0.5) * range }
        let spreads = (0..<(k * d)).map { _ in 0.5 + uniform() * 3 }
        var data = [Float](repeating: 0, count: n * d)
        for i in 0..<n {
            let c = Int(rng.next() % UInt64(k))
            for j in 0..<d { data[i * d + j] = Float(centres[c * d + j] + spreads[c * d + j] * gauss()) }
        }
        return data
    }

    /// From the same k-means initialisation and with the same variance floor, our EM reaches
    /// a log-likelihood within 1% of `vl_gmm_cluster`'s (both evaluated by the same formula).
    func testLogLikelihoodMatchesVLFeat() throws {
        let n = 6_000, d = 10, k = 12
        let data = Self.blobs(n: n, d: d, k: k + 3, seed: 21, range: 8) // overlapping: EM has work to do
        let floor = GMMTrainer.varianceFloor(data: data, count: n, dimension: d, fraction: 1e-4)
        let km = try KMeans.cluster(data: data, count: n, dimension: d, k: k, maxIterations: 5, seed: 4)
        let initial = GMMTrainer.initialMixture(data: data, count: n, dimension: d, assignments: km.assignments, k: k, floor: floor)
        let iterations = 40
        let (ours, summary) = try GMMTrainer.expectationMaximisation(initial: initial, data: data, count: n, floor: floor,
                                                                     maxIterations: iterations, tolerance: 1e-6)
        XCTAssertGreaterThan(summary.iterations, 5)
        XCTAssertGreaterThan(summary.finalLogLikelihood - summary.logLikelihoods[0], 1e-3 * abs(summary.logLikelihoods[0]))
        // LL never decreases by more than rounding (EM is monotone).
        for (a, b) in zip(summary.logLikelihoods, summary.logLikelihoods.dropFirst()) {
            XCTAssertGreaterThanOrEqual(b, a - 1e-6 * abs(a))
        }

        let vl = try XCTUnwrap(vl_gmm_new(vl_type(VL_TYPE_FLOAT), vl_size(d), vl_size(k)))
        defer { vl_gmm_delete(vl) }
        vl_gmm_set_initialization(vl, VlGMMCustom)
        var means = initial.means, covs = initial.covariances, priors = initial.priors
        vl_gmm_set_means(vl, &means)
        vl_gmm_set_covariances(vl, &covs)
        vl_gmm_set_priors(vl, &priors)
        vl_gmm_set_covariance_lower_bound(vl, Double(floor[0]))
        vl_gmm_set_max_num_iterations(vl, vl_size(iterations))
        let vlReported = data.withUnsafeBufferPointer { vl_gmm_cluster(vl, $0.baseAddress, vl_size(n)) }
        let theirs = GMMParameters(
            dimension: d, clusters: k,
            means: Array(UnsafeBufferPointer(start: vl_gmm_get_means(vl).assumingMemoryBound(to: Float.self), count: k * d)),
            covariances: Array(UnsafeBufferPointer(start: vl_gmm_get_covariances(vl).assumingMemoryBound(to: Float.self), count: k * d)),
            priors: Array(UnsafeBufferPointer(start: vl_gmm_get_priors(vl).assumingMemoryBound(to: Float.self), count: k)))
        let llOurs = try GMMTrainer.logLikelihood(ours, data: data, count: n)
        let llTheirs = try GMMTrainer.logLikelihood(theirs, data: data, count: n)
        XCTAssertEqual(llOurs, summary.finalLogLikelihood, accuracy: 1e-4 * abs(llOurs))
        XCTAssertEqual(llTheirs, vlReported, accuracy: 1e-3 * abs(llTheirs), "our formula agrees with VLFeat's")
        XCTAssertLessThan(abs(llOurs - llTheirs), 0.01 * abs(llTheirs), "ours \(llOurs) vs VLFeat \(llTheirs)")
        // The floor holds.
        XCTAssertTrue(ours.covariances.allSatisfy { $0 >= floor[0] })
        XCTAssertEqual(ours.priors.reduce(0, +), 1, accuracy: 1e-5)
    }

    /// The whole trainer (k-means++ init, EM) on clean blobs: every true blob is found.
    func testTrainerFindsBlobs() throws {
        let n = 4_000, d = 4, k = 5
        let data = Self.blobs(n: n, d: d, k: k, seed: 8)
        var options = GMMTrainingOptions()
        options.componentCount = k
        options.maxIterations = 50
        let (gmm, summary) = try GMMTrainer.train(data: data, count: n, dimension: d, options: options)
        XCTAssertEqual(gmm.clusters, k)
        XCTAssertTrue(gmm.priors.allSatisfy { $0 > 0.05 })
        XCTAssertGreaterThan(summary.finalLogLikelihood, summary.logLikelihoods[0])
        XCTAssertThrowsError(try GMMTrainer.train(data: [Float](repeating: 0, count: 8), count: 2, dimension: 4, options: options))
    }
}
