import XCTest
import LRPCore
@testable import FisherVectors

final class FisherRelevanceTests: XCTestCase {
    func setUpModel() throws -> (FisherVectorModel, Image) {
        let image = FVPipelineTestSupport.stripes(width: 64, height: 56, vertical: true, seed: 3)
        return (try FVPipelineTestSupport.handModel(image: image), image)
    }

    /// Per-dimension relevance sums to per-descriptor relevance, and as ε → 0 the Fisher step
    /// conserves: Σ_l R_l = Σ_d z_d R⁽³⁾_d / (z_d + ε sign z_d) → Σ_d R⁽³⁾_d = f(x) − b.
    /// (ε = 0 itself is ill-conditioned where a cell's z_d nearly cancels; a small ε shows the limit.)
    func testFisherStepConservesAsEpsilonVanishes() throws {
        let (model, image) = try setUpModel()
        let encoding = try ImageEncoder(model: model).encode(image)
        let eps: Float = 1e-2
        let r = try FisherRelevance.compute(model: model, encoding: encoding, target: 1, epsilon: eps, pcaEpsilon: nil)
        let d = model.gmm.dimension
        for l in 0..<encoding.count {
            let s = (0..<d).reduce(Float(0)) { $0 + r.perDimension[l * d + $1] }
            XCTAssertEqual(s, r.perDescriptor[l], accuracy: 1e-5 * max(1, abs(s)))
        }
        XCTAssertEqual(r.fisherTotal, Double(r.score - r.bias), accuracy: 1e-4 * max(1, abs(r.fisherTotal)))
        XCTAssertEqual(r.descriptorTotal, Self.epsilonTotal(model, encoding, target: 1, epsilon: eps),
                       accuracy: 1e-4 * max(1, abs(r.fisherTotal)))
        XCTAssertEqual(r.descriptorTotal, r.fisherTotal, accuracy: 1e-2 * abs(r.fisherTotal))
        XCTAssertEqual(r.target, 1)
        XCTAssertGreaterThan(abs(r.fisherTotal), 0.1)
    }

    /// Σ_d z_d R⁽³⁾_d / (z_d + ε sign z_d), straight from the statistics (0 where the denominator is).
    static func epsilonTotal(_ model: FisherVectorModel, _ e: ImageEncoding, target: Int, epsilon: Float) -> Double {
        let length = model.fisherLength
        var total = 0.0
        for j in 0..<length {
            let z = Double(e.statistics[j])
            let r3 = Double(model.svms.weights[target * length + j]) * Double(e.fisherVector[j])
            let den = z + (z >= 0 ? Double(epsilon) : -Double(epsilon))
            total += den == 0 ? 0 : z * r3 / den
        }
        return total
    }

    /// With ε = 100 some relevance is absorbed (less in absolute value than without), and the
    /// total still equals Σ_c Σ_d z_cd s_cd computed independently from the statistics.
    func testEpsilonAbsorbsAsDefined() throws {
        let (model, image) = try setUpModel()
        let encoding = try ImageEncoder(model: model).encode(image)
        let eps: Float = 100
        let r = try FisherRelevance.compute(model: model, encoding: encoding, target: 0, epsilon: eps, pcaEpsilon: nil)
        let expected = Self.epsilonTotal(model, encoding, target: 0, epsilon: eps)
        XCTAssertEqual(r.descriptorTotal, expected, accuracy: 1e-3 * max(1, abs(expected)))
        XCTAssertLessThan(abs(r.descriptorTotal), abs(r.fisherTotal))
    }

    /// Both maps sum to what they spread; with a near-zero PCA epsilon the PCA step conserves,
    /// so the bin map and the descriptor map carry the same total.
    func testMapsConserveAndAgreeWithTinyPCAEpsilon() throws {
        let (model, image) = try setUpModel()
        let both: Set<FisherResolution> = [.bin, .descriptor]
        let tiny = try FisherExplainer.explain(model: model, image: image, target: nil, resolutions: both,
                                               epsilon: 100, pcaEpsilon: 1e-6)
        let binMap = try XCTUnwrap(tiny.maps[.bin]), descMap = try XCTUnwrap(tiny.maps[.descriptor])
        XCTAssertEqual(binMap.shape, [image.height, image.width])
        XCTAssertEqual(descMap.shape, [image.height, image.width])
        let rel = tiny.relevance
        let total = rel.descriptorTotal
        XCTAssertEqual(FisherExplanation.sum(descMap), total, accuracy: 1e-4 * max(1, abs(total)))
        XCTAssertEqual(FisherExplanation.sum(binMap), try XCTUnwrap(rel.siftTotal), accuracy: 1e-4 * max(1, abs(total)))
        XCTAssertEqual(try XCTUnwrap(rel.siftTotal), total, accuracy: 2e-3 * max(1, abs(total)))
        XCTAssertEqual(FisherExplanation.sum(binMap), FisherExplanation.sum(descMap), accuracy: 2e-3 * max(1, abs(total)))

        // The default PCA epsilon absorbs part of it, and the bin map still sums to what it spreads.
        let normal = try FisherExplainer.explain(model: model, image: image, target: nil, resolutions: [.bin])
        let spread = try XCTUnwrap(normal.relevance.siftTotal)
        XCTAssertEqual(FisherExplanation.sum(try XCTUnwrap(normal.maps[.bin])), spread, accuracy: 1e-4 * max(1, abs(spread)))
        XCTAssertLessThan(abs(spread), abs(normal.relevance.descriptorTotal) + 1e-6)
    }

    /// The PCA epsilon rule against a direct evaluation of its formula for a few descriptors.
    func testThroughPCAMatchesFormula() throws {
        let (model, image) = try setUpModel()
        let sift = try ImageEncoder.descriptors(of: image, features: model.features)
        let n = 5, din = 128, dout = model.pca.outputDimension
        let x = Array(sift.descriptors[0..<(n * din)])
        var rng = SplitMix64(seed: 1)
        let rel = (0..<(n * dout)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
        let out = FisherRelevance.throughPCA(model.pca, descriptors: x, count: n, relevance: rel, epsilon: 3)
        for l in 0..<n {
            for s in [0, 17, 64, 127] {
                var expected = 0.0
                for i in 0..<dout {
                    var zi = 0.0
                    for t in 0..<din { zi += Double(model.pca.components[i * din + t]) * (Double(x[l * din + t]) - Double(model.pca.mean[t])) }
                    let zsi = Double(model.pca.components[i * din + s]) * (Double(x[l * din + s]) - Double(model.pca.mean[s]))
                    expected += zsi / (zi + (zi >= 0 ? 3 : -3)) * Double(rel[l * dout + i])
                }
                XCTAssertEqual(Double(out[l * din + s]), expected, accuracy: 1e-4 * max(1, abs(expected)))
            }
        }
    }
}
