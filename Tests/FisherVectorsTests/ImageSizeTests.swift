import FisherVectors
import Foundation
import LRPCore
import XCTest

/// The FV pipeline works at most at `ImageEncoder.maxSide` pixels on the longer side (DESIGN §5.3).
final class ImageSizeTests: XCTestCase {
    func testLargerImagesAreScaledToTheLargestSide() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/core/gradient.jpg")
        let full = try Image.load(url)
        XCTAssertEqual(try ImageEncoder.loadImage(url, maxSide: 1024), full)  // 1024×768: used as it is
        let working = try ImageEncoder.loadImage(url)
        XCTAssertEqual([working.width, working.height], [ImageEncoder.maxSide, ImageEncoder.maxSide * 3 / 4])
        let small = try ImageEncoder.loadImage(url, maxSide: 100)
        XCTAssertEqual([small.width, small.height], [100, 75])
        let reference = full.resized(width: 100, height: 75)
        let mean = zip(small.pixels, reference.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(small.pixels.count)
        XCTAssertLessThan(mean, 1.5)
    }
}
