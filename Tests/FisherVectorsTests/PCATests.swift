import XCTest
@testable import FisherVectors

final class PCATests: XCTestCase {
    /// Data with planted principal axes (a random rotation of variances 400, 100, 25, 1, …):
    /// the fit must recover the axes, their variances and their order.
    func testRecoversPlantedAxes() throws {
        let d = 12, n = 20_000
        var rng = SplitMix64(seed: 3)
        func gauss() -> Double {
            let u = max(1e-12, Double(rng.next() >> 11) / Double(1 << 53)), v = Double(rng.next() >> 11) / Double(1 << 53)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        // Random orthonormal basis by Gram–Schmidt.
        var basis: [[Double]] = []
        while basis.count < d {
            var v = (0..<d).map { _ in gauss() }
            for b in basis { let p = zip(v, b).map(*).reduce(0, +); v = zip(v, b).map { $0 - p * $1 } }
            let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            if norm > 1e-6 { basis.append(v.map { $0 / norm }) }
        }
        let sd: [Double] = [20, 10, 5, 1] + [Double](repeating: 0.1, count: d - 4)
        let mean = (0..<d).map { Double($0) * 3 - 7 }
        var data = [Float](repeating: 0, count: n * d)
        for i in 0..<n {
            let coeffs = sd.map { $0 * gauss() }
            for j in 0..<d {
                var v = mean[j]
                for a in 0..<d { v += coeffs[a] * basis[a][j] }
                data[i * d + j] = Float(v)
            }
        }
        let pca = try PCA.fit(samples: data, count: n, dimension: d, outputDimension: 3)
        for a in 0..<3 {
            let axis = (0..<d).map { Double(pca.components[a * d + $0]) }
            let dot = abs(zip(axis, basis[a]).map(*).reduce(0, +))
            XCTAssertEqual(dot, 1, accuracy: 2e-3, "axis \(a)")
            XCTAssertEqual(Double(pca.variances[a]), sd[a] * sd[a], accuracy: 0.05 * sd[a] * sd[a])
        }
        for j in 0..<d { XCTAssertEqual(Double(pca.mean[j]), mean[j], accuracy: 0.5) }
        // Projected data: zero mean, variances equal to the eigenvalues, uncorrelated.
        let y = pca.project(data, count: n)
        for a in 0..<3 {
            var m = 0.0, v = 0.0
            for i in 0..<n { m += Double(y[i * 3 + a]) }
            m /= Double(n)
            for i in 0..<n { v += (Double(y[i * 3 + a]) - m) * (Double(y[i * 3 + a]) - m) }
            XCTAssertEqual(m, 0, accuracy: 1e-2)
            XCTAssertEqual(v / Double(n - 1), Double(pca.variances[a]), accuracy: 1e-3 * Double(pca.variances[a]))
        }
        var cov01 = 0.0
        for i in 0..<n { cov01 += Double(y[i * 3]) * Double(y[i * 3 + 1]) }
        XCTAssertEqual(cov01 / Double(n), 0, accuracy: 0.5)
    }

    func testRejectsBadArguments() {
        XCTAssertThrowsError(try PCA.fit(samples: [1, 2, 3], count: 1, dimension: 3, outputDimension: 1))
        XCTAssertThrowsError(try PCA.fit(samples: [Float](repeating: 1, count: 12), count: 4, dimension: 3, outputDimension: 4))
    }
}
