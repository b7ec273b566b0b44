import XCTest
import LRPCore
@testable import FisherVectors

final class SpreadingTests: XCTestCase {
    /// One hand-built descriptor: each bin's relevance lands on exactly its b×b block
    /// (columns cx − ⌊b/2⌋ … cx − ⌊b/2⌋ + b − 1), evenly, and nowhere else.
    func testOneDescriptorPutsEachBinOnItsBlock() {
        for b in [4, 5, 6] {
            let (w, h) = (60, 50)
            let fx = 9, fy = 7 // upper-left bin centre
            let x = Float(fx) + 1.5 * Float(b), y = Float(fy) + 1.5 * Float(b)
            let bins = (0..<16).map { Float($0 + 1) * (($0 % 3 == 0) ? -1 : 1) }
            let map = RelevanceSpreading.binMap(frames: [x, y, Float(b), 1], binRelevance: bins, count: 1, width: w, height: h)
            var expected = [Float](repeating: 0, count: w * h)
            for by in 0..<4 {
                for bx in 0..<4 {
                    let cx = fx + bx * b, cy = fy + by * b
                    for yy in (cy - b / 2)..<(cy - b / 2 + b) {
                        for xx in (cx - b / 2)..<(cx - b / 2 + b) {
                            expected[yy * w + xx] += bins[bx + 4 * by] / Float(b * b)
                        }
                    }
                }
            }
            for i in 0..<(w * h) { XCTAssertEqual(map.data[i], expected[i], accuracy: 1e-5, "b \(b) pixel \(i)") }
            // The descriptor map spreads the total evenly over the 4b×4b union of the blocks.
            let total = bins.reduce(0, +)
            let dmap = RelevanceSpreading.descriptorMap(frames: [x, y, Float(b), 1], relevance: [total], count: 1, width: w, height: h)
            for i in 0..<(w * h) {
                let xx = i % w, yy = i / w
                let covered = xx >= fx - b / 2 && xx < fx - b / 2 + 4 * b && yy >= fy - b / 2 && yy < fy - b / 2 + 4 * b
                XCTAssertEqual(dmap.data[i], covered ? total / Float(16 * b * b) : 0, accuracy: 1e-5)
            }
        }
    }

    /// Near the border the clipped part of a block is not lost: both maps sum to what they spread.
    func testMapsConserveAtTheBorder() {
        var rng = SplitMix64(seed: 2)
        let (w, h) = (37, 29)
        var frames: [Float] = [], bins: [Float] = [], descr: [Float] = []
        for _ in 0..<40 {
            let b = [4, 6, 8, 10][Int(rng.next() % 4)]
            let fx = Int(rng.next() % UInt64(w)), fy = Int(rng.next() % UInt64(h)) // bin 0 centre; others may leave the image
            frames += [Float(fx) + 1.5 * Float(b), Float(fy) + 1.5 * Float(b), Float(b), 1]
            let r = (0..<16).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
            bins += r
            descr.append(r.reduce(0, +))
        }
        let binMap = RelevanceSpreading.binMap(frames: frames, binRelevance: bins, count: 40, width: w, height: h)
        let descMap = RelevanceSpreading.descriptorMap(frames: frames, relevance: descr, count: 40, width: w, height: h)
        let spread = bins.reduce(0.0) { $0 + Double($1) }
        XCTAssertEqual(FisherExplanation.sum(binMap), spread, accuracy: 1e-4)
        XCTAssertEqual(FisherExplanation.sum(descMap), spread, accuracy: 1e-4)
        XCTAssertEqual(binMap.shape, [h, w])
    }
}
