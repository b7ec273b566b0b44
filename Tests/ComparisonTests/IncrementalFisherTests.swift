import Comparison
import FisherVectors
import Foundation
import LRPCore
import XCTest

/// Incremental FV re-scoring (docs/DESIGN.md §10.2) must give the scores of a full encoding.
final class IncrementalFisherTests: XCTestCase {
    static let modelURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models/fisher_imagenette.safetensors")

    /// A textured RGB test picture (no data set needed).
    static func picture(width: Int, height: Int) -> Image {
        var px = [Float](repeating: 0, count: width * height * 3)
        var rng = SplitMix64(seed: 11)
        for y in 0..<height {
            for x in 0..<width {
                let base = 128 + 90 * sin(Double(x) / 5) * cos(Double(y) / 7)
                for c in 0..<3 { px[(y * width + x) * 3 + c] = Float(min(255, max(0, base + Double(rng.next() % 40) - 20 + Double(c * 10)))) }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: px)
    }

    func testIncrementalScoresEqualFullRecomputation() throws {
        let model = try ModelFile.read(Self.modelURL)
        var image = Self.picture(width: 96, height: 80)
        var encoder = try IncrementalFisherEncoder(model: model, image: image)
        let full0 = model.svms.scores(try ImageEncoder(model: model).encode(image).fisherVector)
        for (a, b) in zip(encoder.scores(), full0) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }

        let space = InputSpace(width: 96, height: 80, channels: 3, interleaved: true, noiseLow: [0, 0, 0],
                               noiseHigh: [255, 255, 255], description: "test")
        let grid = try RegionGrid(width: 96, height: 80, size: 9)
        // regions in the middle, at a corner and at the border; two batches of changes
        for batch in [[0, 44], [grid.count - 1, 20, 21]] {
            var rects: [PixelRect] = []
            for r in batch {
                RegionNoise(seed: 5, image: 0).fill(&image.pixels, region: r, rect: grid.rect(r), space: space)
                rects.append(grid.rect(r))
            }
            try encoder.update(image: image, changed: rects)
            let encoding = try ImageEncoder(model: model).encode(image)
            // the recomputed descriptors are exactly those of a full extraction
            let current = encoder.currentDescriptors
            XCTAssertEqual(current.count, encoding.sift.descriptors.count)
            XCTAssertEqual(zip(current, encoding.sift.descriptors).filter { $0 != $1 }.count, 0, "descriptor values differ")
            let full = model.svms.scores(encoding.fisherVector)
            XCTAssertNotEqual(full, full0, "the perturbation changes the scores")
            for (a, b) in zip(encoder.scores(), full) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
        }
        XCTAssertGreaterThan(encoder.changed, 0)
        XCTAssertLessThan(encoder.recomputed, 2 * encoder.descriptorCount, "only descriptors near the regions are recomputed")
    }

    func testFrameRangeCoversEveryFrameThatPoolsThePixels() {
        // bin size 4, step 3, bounds from 0: frame i pools pixels 3i−3 … 3i+15
        guard let (a, b) = IncrementalFisherEncoder.frameRangeForTests(lo: 30, hi: 38, minBound: 0, step: 3, binSize: 4, count: 100) else {
            return XCTFail("no frames")
        }
        for i in 0..<100 {
            let pools = 3 * i - 3 <= 38 && 3 * i + 15 >= 30
            XCTAssertEqual(pools, (a...b).contains(i), "frame \(i)")
        }
    }
}
