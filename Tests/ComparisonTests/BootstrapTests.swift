import Comparison
import XCTest

final class BootstrapTests: XCTestCase {
    func testIntervalContainsTheMeanAndShrinksWithMoreSamples() {
        // a fixed, spread sample repeated: same distribution, more images
        let base: [Double] = [0.1, 0.9, 0.4, 0.3, 0.8, 0.2, 0.6, 0.5]
        let small = Bootstrap.mean(base, resamples: 2000, seed: 3)
        let large = Bootstrap.mean(Array(repeating: base, count: 16).flatMap { $0 }, resamples: 2000, seed: 3)
        XCTAssertEqual(small.mean, 0.475, accuracy: 1e-12)
        XCTAssertLessThan(small.low, small.mean)
        XCTAssertGreaterThan(small.high, small.mean)
        XCTAssertLessThanOrEqual(large.low, large.mean)
        XCTAssertGreaterThanOrEqual(large.high, large.mean)
        XCTAssertLessThan(large.high - large.low, (small.high - small.low) / 2, "16× the samples: about ¼ the width")
        // seeded: the same interval again
        XCTAssertEqual(Bootstrap.mean(base, resamples: 2000, seed: 3), small)
        // one value: no spread
        let one = Bootstrap.mean([2], resamples: 100, seed: 0)
        XCTAssertEqual(one.low, 2); XCTAssertEqual(one.high, 2)
    }
}
