import Foundation
import XCTest
@testable import LRPCore

/// Hostile and huge pictures (DESIGN §5.3): header-checked pixel limit, reduction while
/// decoding, CMYK JPEGs as Pillow converts them.
final class ImageLimitTests: XCTestCase {
    private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~c
    }

    private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// photo.png with its IHDR claiming width×height (CRC fixed, so libpng accepts the header).
    private func pngClaiming(width: UInt32, height: UInt32) throws -> Data {
        var b = [UInt8](try Data(contentsOf: Fixtures.url("core/photo.png")))
        b.replaceSubrange(16..<20, with: be32(width))
        b.replaceSubrange(20..<24, with: be32(height))
        b.replaceSubrange(29..<33, with: be32(crc32(b[12..<29])))
        return Data(b)
    }

    /// photo.jpg with its SOF claiming width×height.
    private func jpegClaiming(width: UInt16, height: UInt16) throws -> Data {
        var b = [UInt8](try Data(contentsOf: Fixtures.url("core/photo.jpg")))
        var i = 2
        while i + 9 < b.count {
            let marker = b[i + 1]
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            if marker == 0xC0 || marker == 0xC2 {
                b[i + 5] = UInt8(height >> 8); b[i + 6] = UInt8(height & 0xFF)
                b[i + 7] = UInt8(width >> 8); b[i + 8] = UInt8(width & 0xFF)
                return Data(b)
            }
            i += 2 + length
        }
        throw XCTSkip("no SOF marker in the fixture")
    }

    func testHeadersClaimingHugeSizesAreRefusedBeforeDecoding() throws {
        let started = Date()
        for data in [try pngClaiming(width: 100_000, height: 100_000), try jpegClaiming(width: 60_000, height: 60_000)] {
            XCTAssertThrowsError(try Image.decode(data, need: Image.Need(width: 224, height: 224, keepAspect: false))) { e in
                XCTAssertTrue(e.userMessage.contains("larger than the limit of \(Image.maxPixels) pixels"), e.userMessage)
                XCTAssertTrue(e.userMessage.contains("×"), e.userMessage)
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
    }

    func testLimitNamesTheFileAndSize() throws {
        XCTAssertThrowsError(try Image.load(Fixtures.url("core/photo.png"), maxPixels: 100)) { e in
            XCTAssertTrue(e.userMessage.contains("photo.png: image of 32×24 pixels is larger than the limit of 100 pixels"), e.userMessage)
        }
        XCTAssertNoThrow(try Image.load(Fixtures.url("core/photo.png"), maxPixels: 32 * 24))
    }

    func testNormalPicturesAreNotReduced() throws {
        for name in ["core/photo.png", "core/photo.jpg"] {
            let full = try Image.load(Fixtures.url(name))
            let needed = try Image.load(Fixtures.url(name), need: Image.Need(width: 8, height: 8, keepAspect: true))
            XCTAssertEqual(full, needed, name)  // 24/8 = 3 < the threshold 4
        }
        XCTAssertEqual(Image.reduction(width: 896, height: 600, isJPEG: true, need: Image.Need(width: 224, height: 224, keepAspect: false)),
                       Image.Reduction(scaleDenom: 1, boxX: 4, boxY: 1))
    }

    func testPNGBoxReductionIsTheMeanOfEachBlock() throws {
        let w = 37, h = 29
        var bytes = [UInt8](repeating: 0, count: w * h * 3)
        for i in bytes.indices { bytes[i] = UInt8((i * 37 + i / 91) % 256) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-box-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try PNGFile.write(bytes, width: w, height: h, channels: 3, to: url)
        let reduced = try Image.load(url, need: Image.Need(width: 4, height: 7, keepAspect: false))
        XCTAssertEqual(Image.reduction(width: w, height: h, isJPEG: false, need: Image.Need(width: 4, height: 7, keepAspect: false)),
                       Image.Reduction(scaleDenom: 1, boxX: 9, boxY: 4))
        XCTAssertEqual([reduced.width, reduced.height], [5, 8])  // ceil(37/9), ceil(29/4): edge blocks are partial
        for oy in 0..<8 {
            for ox in 0..<5 {
                for c in 0..<3 {
                    var sum = 0, n = 0
                    for y in (oy * 4)..<min(h, oy * 4 + 4) {
                        for x in (ox * 9)..<min(w, ox * 9 + 9) { sum += Int(bytes[(y * w + x) * 3 + c]); n += 1 }
                    }
                    XCTAssertEqual(reduced.pixels[(oy * 5 + ox) * 3 + c], Float((sum + n / 2) / n))
                }
            }
        }
    }

    func testJPEGDCTScalingIsCloseToTheFullDecodeResized() throws {
        let url = Fixtures.url("core/gradient.jpg")
        let full = try Image.load(url)
        XCTAssertEqual([full.width, full.height], [1024, 768])
        let need = Image.Need(width: 120, height: 90, keepAspect: true)
        XCTAssertEqual(Image.reduction(width: 1024, height: 768, isJPEG: true, need: need), Image.Reduction(scaleDenom: 8, boxX: 1, boxY: 1))
        let scaled = try Image.load(url, need: need)
        XCTAssertEqual([scaled.width, scaled.height], [128, 96])
        let reference = full.resized(width: 128, height: 96)
        let diffs = zip(scaled.pixels, reference.pixels).map { abs($0 - $1) }
        let mean = diffs.reduce(0, +) / Float(diffs.count)
        XCTAssertLessThan(mean, 1.5)
        XCTAssertLessThan(diffs.max() ?? 0, 12)
    }

    func testElongatedPictureFittedWithItsAspectIsRefusedBeyondTheIntermediateLimit() throws {
        XCTAssertThrowsError(try Image.decode(try pngClaiming(width: 60_000, height: 600),
                                              need: Image.Need(width: 256, height: 256, keepAspect: true))) { e in
            XCTAssertTrue(e.userMessage.contains("too elongated") || e.userMessage.contains("corrupt"), e.userMessage)
        }
    }

    func testCMYKJPEGMatchesPillow() throws {
        let image = try Image.load(Fixtures.url("core/cmyk.jpg"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("core/cmyk.jpg.json"))) as! [String: Any]
        let expected = (json["rgb"] as! [Int]).map(Float.init)
        XCTAssertEqual([image.width, image.height, image.channels], [json["width"] as! Int, json["height"] as! Int, 3])
        // Same libjpeg-turbo family as Pillow's; allow one level for a different IDCT choice.
        let worst = zip(image.pixels, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1)
    }
}
