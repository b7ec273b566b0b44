import Comparison
import Foundation
import XCTest

final class CanvasTests: XCTestCase {
    func testRasterCanvasDrawsPicturesAndTextIntoPNG() throws {
        let canvas = try Canvas(width: 120, height: 60)
        // A 2×1 red|blue picture scaled onto the left half without smoothing.
        try canvas.image([255, 0, 0, 0, 0, 255], width: 2, height: 1, channels: 3,
                         x: 0, y: 0, width: 60, height: 60, smooth: false)
        canvas.text("Label", x: 70, y: 30, size: 14)
        let px = canvas.rgbPixels()
        func at(_ x: Int, _ y: Int) -> [UInt8] { let o = (y * 120 + x) * 3; return Array(px[o..<o + 3]) }
        XCTAssertEqual(at(10, 30), [255, 0, 0])
        XCTAssertEqual(at(50, 30), [0, 0, 255])
        // Text leaves dark pixels on the white right half.
        var dark = 0
        for y in 0..<60 { for x in 65..<120 where at(x, y)[0] < 128 { dark += 1 } }
        XCTAssertGreaterThan(dark, 20)
        let png = try canvas.pngData()
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }

    func testVectorCanvasIsAnSVGDocument() throws {
        let canvas = try Canvas(width: 100, height: 50, kind: .vector)
        canvas.polyline([(0, 0), (50, 25), (100, 0)], color: RGBA(1, 0, 0))
        canvas.text("AOPC", x: 10, y: 40)
        let svg = String(decoding: try canvas.finishSVG(), as: UTF8.self)
        XCTAssertTrue(svg.contains("<svg"))
        XCTAssertTrue(svg.contains("</svg>"))
    }

    func testImpossibleSizesAreErrors() {
        XCTAssertThrowsError(try Canvas(width: 0, height: 10))
        XCTAssertThrowsError(try Canvas(width: 10, height: 40_000))
    }
}
