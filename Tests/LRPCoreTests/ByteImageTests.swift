import Foundation
import XCTest
@testable import LRPCore

/// `ByteImage` is the decoder's output before the float copy: the same pictures as `Image`.
final class ByteImageTests: XCTestCase {
    func testSamePicturesAsImage() throws {
        for name in ["core/photo.jpg", "core/photo.png", "core/grey.png", "core/cmyk.jpg"] {
            let url = Fixtures.url(name)
            let bytes = try ByteImage.load(url), image = try Image.load(url)
            XCTAssertEqual(Image(bytes), image, name)
            XCTAssertEqual(ByteImage(rounding: image), bytes, name)
            // reduced while decoding: same size, extent and samples
            let need = Image.Need(width: 4, height: 4, keepAspect: true)
            XCTAssertEqual(Image(try ByteImage.load(url, need: need)), try Image.load(url, need: need), name)
        }
    }

    func testGreyBecomesRGBByReplication() throws {
        let grey = try ByteImage.load(Fixtures.url("core/grey.png"))
        XCTAssertEqual(grey.channels, 1)
        let rgb = grey.rgb()
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(Array(rgb.bytes[21..<24]), [grey.bytes[7], grey.bytes[7], grey.bytes[7]])
        XCTAssertEqual(Image(rgb), Image(grey).rgb())
    }

    func testErrorsNameTheFile() {
        let url = Fixtures.url("core/missing.png")
        XCTAssertThrowsError(try ByteImage.load(url)) { XCTAssertTrue($0.userMessage.contains("missing.png"), $0.userMessage) }
    }
}
