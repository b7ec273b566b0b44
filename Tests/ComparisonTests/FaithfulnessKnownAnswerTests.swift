import Comparison
import Foundation
import XCTest

/// The known answer (docs/DESIGN.md §10.2): a model whose score is the mean of the
/// top-left quadrant of a bright image. MoRF on a map that marks the quadrant must replace the
/// quadrant's regions first, and its AOPC must exceed LeRF's and a random order's.
final class FaithfulnessKnownAnswerTests: XCTestCase {
    // 36×36, one channel, 9-pixel regions: 4×4 regions, the quadrant is regions 0, 1, 4, 5.
    let side = 36
    var space: InputSpace {
        InputSpace(width: side, height: side, channels: 1, interleaved: true, noiseLow: [0], noiseHigh: [1], description: "test")
    }

    func quadrantModel() -> BatchPerturbationModel {
        let side = self.side
        return BatchPerturbationModel(space: space, batchSize: 3) { inputs in
            inputs.map { x in
                var s: Float = 0
                for y in 0..<(side / 2) { for xx in 0..<(side / 2) { s += x[y * side + xx] } }
                return s / Float(side * side / 4)
            }
        }
    }

    func testMoRFRemovesTheQuadrantFirstAndBeatsLeRFAndRandom() throws {
        let settings = PerturbationSettings(regionSize: 9, steps: 8, every: 1, seed: 7)
        let grid = try settings.grid(for: space, name: "test model")
        XCTAssertEqual(grid.count, 16)
        // relevance: the quadrant, slightly graded so that the order inside it is known
        var map = [Float](repeating: 0, count: side * side)
        for y in 0..<(side / 2) { for x in 0..<(side / 2) { map[y * side + x] = 1 + Float(x + y) / 100 } }
        let sums = try grid.sums(map)
        let morf = PerturbationOrder.morf.ranking(sums)
        XCTAssertEqual(Set(morf.prefix(4)), [0, 1, 4, 5], "MoRF must take the quadrant's four regions first")
        XCTAssertEqual(morf[0], 5, "the region with the most relevance goes first")
        XCTAssertFalse(Set(PerturbationOrder.lerf.ranking(sums).prefix(12)).contains(0))

        let image = [Float](repeating: 1, count: side * side)  // bright: noise lowers the score
        let randomScores = BaselineMaps.random(regions: grid.count, seed: 7, image: 0, family: .cnn)
        let curves = try CurveEvaluation.curves(model: quadrantModel(), original: image,
                                                regionScores: [("map", sums), ("random", randomScores)],
                                                grid: grid, noise: RegionNoise(seed: 7, image: 0), settings: settings)
        let lrp = curves[0], random = curves[1]
        XCTAssertEqual(lrp.morf.count, 9)
        XCTAssertEqual(lrp.morf[0], 1, accuracy: 1e-6)
        // after four MoRF steps the quadrant is all noise (mean ≈ 0.5), and stays so
        XCTAssertLessThan(lrp.morf[4], 0.7)
        XCTAssertEqual(lrp.morf[8], lrp.morf[4], accuracy: 1e-9)
        // LeRF never touches the quadrant within 8 steps
        XCTAssertEqual(lrp.lerf.max()!, 1, accuracy: 1e-6)
        XCTAssertEqual(lrp.lerf.min()!, 1, accuracy: 1e-6)
        XCTAssertGreaterThan(lrp.aopcMoRF, lrp.aopcLeRF)
        XCTAssertGreaterThan(lrp.aopcMoRF, random.aopcMoRF)
        XCTAssertGreaterThan(lrp.abpc, random.abpc)
        XCTAssertEqual(lrp.abpc, lrp.aopcMoRF - lrp.aopcLeRF, accuracy: 1e-12)
    }

    func testAOPCIsTheMeanDropOverTheScoredStepsIncludingStepZero() {
        XCTAssertEqual(AOPC.of([1, 0.5, 0]), (0 + 0.5 + 1) / 3, accuracy: 1e-12)
        XCTAssertEqual(PerturbationSettings(regionSize: 9, steps: 100, every: 5, seed: 0).scoredSteps.count, 21)
        XCTAssertEqual(PerturbationSettings(regionSize: 9, steps: 12, every: 5, seed: 0).scoredSteps, [0, 5, 10, 12])
    }

    func testTiesAreBrokenByRegionIndexInBothOrders() {
        let scores: [Double] = [1, 3, 1, 3, 2, 1]
        XCTAssertEqual(PerturbationOrder.morf.ranking(scores), [1, 3, 4, 0, 2, 5])
        XCTAssertEqual(PerturbationOrder.lerf.ranking(scores), [0, 2, 5, 4, 1, 3])
        // a symmetric centre prior has many ties; the ranking is the same every time
        let grid = try! RegionGrid(width: 45, height: 45, size: 9)
        let centre = try! grid.sums(BaselineMaps.centrePrior(width: 45, height: 45))
        let a = PerturbationOrder.morf.ranking(centre), b = PerturbationOrder.morf.ranking(centre.map { $0 })
        XCTAssertEqual(a, b)
        XCTAssertEqual(a[0], 12, "the centre region first")
        XCTAssertEqual(Set(a[1...4]), [7, 11, 13, 17], "then its four neighbours")
    }

    func testNoiseIsSeededPerRegionAndWithinTheRange() {
        let sp = InputSpace(width: 18, height: 9, channels: 3, interleaved: false, noiseLow: [-2, 0, 1], noiseHigh: [-1, 1, 3],
                            description: "test")
        let grid = try! RegionGrid(width: 18, height: 9, size: 9)
        var a = [Float](repeating: 100, count: sp.valueCount), b = a, c = a
        RegionNoise(seed: 1, image: 0).fill(&a, region: 1, rect: grid.rect(1), space: sp)
        RegionNoise(seed: 1, image: 0).fill(&b, region: 1, rect: grid.rect(1), space: sp)
        RegionNoise(seed: 2, image: 0).fill(&c, region: 1, rect: grid.rect(1), space: sp)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        for ch in 0..<3 {
            for y in 0..<9 {
                XCTAssertEqual(a[sp.index(x: 3, y: y, channel: ch)], 100, "region 0 untouched")
                let v = a[sp.index(x: 12, y: y, channel: ch)]
                XCTAssertTrue(v >= sp.noiseLow[ch] && v <= sp.noiseHigh[ch])
            }
        }
    }

    func testGridIsCentredAndChecksStepsAgainstRegions() throws {
        let g = try RegionGrid(width: 224, height: 224, size: 9)
        XCTAssertEqual(g.columns, 24)
        XCTAssertEqual(g.originX, 4)
        XCTAssertEqual(g.rect(25).x, 13); XCTAssertEqual(g.rect(25).y, 13)
        let sp = InputSpace(width: 20, height: 20, channels: 1, interleaved: true, noiseLow: [0], noiseHigh: [1], description: "")
        XCTAssertThrowsError(try PerturbationSettings(regionSize: 9, steps: 5, every: 1, seed: 0).grid(for: sp, name: "m")) {
            XCTAssertTrue("\($0)".contains("5 steps need at least 5 regions"), "\($0)")
        }
        XCTAssertThrowsError(try PerturbationSettings(regionSize: 30, steps: 1, every: 1, seed: 0).grid(for: sp, name: "m"))
        XCTAssertThrowsError(try PerturbationSettings(regionSize: 9, steps: 4, every: 5, seed: 0).validate())
    }
}
