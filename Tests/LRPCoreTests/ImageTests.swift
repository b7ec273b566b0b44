import Foundation
import XCTest
@testable import LRPCore

final class ImageTests: XCTestCase {
    func testPNGDecodesExactlyAsPillow() throws {
        let image = try Image.load(Fixtures.url("core/photo.png"))
        let reference = try NPY.read(Fixtures.url("core/photo.png.npy"))
        XCTAssertEqual([image.height, image.width, image.channels], reference.shape)
        XCTAssertEqual(image.pixels, reference.data)
    }

    func testJPEGDecodesAsPillowsLibjpeg() throws {
        let image = try Image.load(Fixtures.url("core/photo.jpg"))
        let reference = try NPY.read(Fixtures.url("core/photo.jpg.npy"))
        XCTAssertEqual([image.height, image.width, image.channels], reference.shape)
        // Same libjpeg-turbo family; allow one level for a different IDCT/upsampling choice.
        let worst = zip(image.pixels, reference.data).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1)
    }

    func testGreyPNGHasOneChannelAndRGBReplicates() throws {
        let grey = try Image.load(Fixtures.url("core/grey.png"))
        XCTAssertEqual(grey.channels, 1)
        let rgb = grey.rgb()
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(rgb.pixels[3 * 7 + 2], grey.pixels[7])
    }

    func testResizeMatchesPillowBilinear() throws {
        let image = try Image.load(Fixtures.url("core/photo.png"))
        for (w, h) in [(13, 10), (64, 48), (20, 30)] {
            let reference = try NPY.read(Fixtures.url("core/resize_\(w)x\(h).npy"))
            let ours = image.resized(width: w, height: h)
            XCTAssertEqual([ours.height, ours.width, 3], reference.shape)
            let worst = zip(ours.pixels, reference.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 0.05, "\(w)x\(h)")
        }
    }

    func testTruncatedJPEGIsAnErrorNotAnExit() throws {
        var data = try Data(contentsOf: Fixtures.url("core/photo.jpg"))
        data = data.prefix(data.count / 2)
        XCTAssertThrowsError(try Image.decode(data)) { e in
            XCTAssertTrue(e.userMessage.hasPrefix("corrupt image"), e.userMessage)
        }
    }

    func testGarbledJPEGIsAnError() throws {
        var bytes = [UInt8](try Data(contentsOf: Fixtures.url("core/photo.jpg")))
        for i in stride(from: 200, to: bytes.count - 2, by: 7) { bytes[i] = 0xFF }
        XCTAssertThrowsError(try Image.decode(Data(bytes)))
    }

    func testNonImageAndEmptyAndMissingFiles() throws {
        XCTAssertThrowsError(try Image.decode(Data("GIF89a....".utf8))) { e in
            XCTAssertTrue(e.userMessage.contains("unsupported"), e.userMessage)
        }
        XCTAssertThrowsError(try Image.decode(Data())) { e in
            XCTAssertTrue(e.userMessage.contains("empty"), e.userMessage)
        }
        XCTAssertThrowsError(try Image.load(URL(fileURLWithPath: "/nonexistent/x.jpg"))) { e in
            XCTAssertEqual(e.userMessage, "/nonexistent/x.jpg: no such file")
        }
    }

    func testTruncatedPNGIsAnError() throws {
        let data = try Data(contentsOf: Fixtures.url("core/photo.png"))
        XCTAssertThrowsError(try Image.decode(data.prefix(data.count - 40)))
    }

    func testGreyUsesMatlabWeightsAndRounds() {
        let image = Image(width: 1, height: 1, channels: 3, pixels: [200, 100, 50])
        let expected = (0.298936021293775 * 200 + 0.587043074451121 * 100 + 0.114020904255103 * 50).rounded()
        XCTAssertEqual(Double(image.grey().pixels[0]), expected)
    }

    func testCropAndPlanar() {
        let image = Image(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(image.cropped(x: 1, y: 0, width: 2, height: 2).pixels, [2, 3, 5, 6])
        let rgb = Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(rgb.planar(), [1, 4, 2, 5, 3, 6])
    }
}
