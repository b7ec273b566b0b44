@testable import CNNRelevance
import LRPCore
import XCTest

/// The C resize passes (`lrp_resize_u8`) against Pillow's 8-bit arithmetic written out plainly:
/// every size, crop, channel count and reduced-picture extent must give the same bytes.
final class PILResizeTests: XCTestCase {
    /// Pillow's ImagingResampleHorizontal/Vertical_8bpc on whole numbers, straight from the
    /// coefficients (64-bit sums, so an overflow in the C code's 32-bit sums would show).
    func reference(_ p: ByteImage, width w: Int, height h: Int, crop: (x: Int, y: Int, width: Int, height: Int)) -> [Float] {
        let c = p.channels, bits = PILResize.precisionBits
        func clip8(_ v: Int) -> Int { v <= 0 ? 0 : min(255, v >> bits) }
        let hx = PILResize.coefficients(from: p.width, to: w, range: crop.x..<(crop.x + crop.width), extent: p.extentWidth)
        let vy = PILResize.coefficients(from: p.height, to: h, range: crop.y..<(crop.y + crop.height), extent: p.extentHeight)
        var tmp = [Int](repeating: 0, count: p.height * crop.width * c)
        for y in 0..<p.height {
            for x in 0..<crop.width {
                for k in 0..<c {
                    var s = 1 << (bits - 1)
                    for (j, wt) in hx[x].weights.enumerated() { s += Int(p.bytes[(y * p.width + hx[x].start + j) * c + k]) * wt }
                    tmp[(y * crop.width + x) * c + k] = clip8(s)
                }
            }
        }
        var out = [Float](repeating: 0, count: crop.height * crop.width * c)
        for y in 0..<crop.height {
            for x in 0..<crop.width {
                for k in 0..<c {
                    var s = 1 << (bits - 1)
                    for (j, wt) in vy[y].weights.enumerated() { s += tmp[((vy[y].start + j) * crop.width + x) * c + k] * wt }
                    out[(y * crop.width + x) * c + k] = Float(clip8(s))
                }
            }
        }
        return out
    }

    func picture(width: Int, height: Int, channels: Int, seed: UInt64) -> ByteImage {
        var state = seed
        let bytes = (0..<(width * height * channels)).map { i -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // smooth parts and noise, with 0 and 255 present for the clipping
            return i % 7 == 0 ? UInt8(truncatingIfNeeded: state >> 56) : UInt8((i / channels) % width * 255 / max(1, width - 1))
        }
        return ByteImage(width: width, height: height, channels: channels, bytes: bytes)
    }

    func testEqualsPillowArithmetic() {
        let cases: [(inW: Int, inH: Int, c: Int, w: Int, h: Int)] = [
            (640, 480, 3, 224, 224), (500, 333, 3, 256, 384), (37, 23, 1, 224, 224), (9, 5, 3, 3, 2), (300, 20, 3, 7, 40),
        ]
        for (n, t) in cases.enumerated() {
            let p = picture(width: t.inW, height: t.inH, channels: t.c, seed: UInt64(n + 1))
            let whole = (x: 0, y: 0, width: t.w, height: t.h)
            let got = PILResize.resize(p, width: t.w, height: t.h)
            XCTAssertEqual([got.width, got.height, got.channels], [t.w, t.h, t.c])
            XCTAssertEqual(got.pixels, reference(p, width: t.w, height: t.h, crop: whole), "\(t)")
            // a centre crop computes the same values as the part of the whole result
            let crop = (x: t.w / 4, y: t.h / 3, width: max(1, t.w / 2), height: max(1, t.h / 2))
            let part = PILResize.resize(p, width: t.w, height: t.h, crop: crop)
            XCTAssertEqual(part.pixels, reference(p, width: t.w, height: t.h, crop: crop), "\(t) cropped")
        }
    }

    /// A picture reduced while decoding maps coordinates through its extent.
    func testReducedPictureUsesItsExtent() {
        var p = picture(width: 81, height: 61, channels: 3, seed: 9)
        (p.extentWidth, p.extentHeight) = (80.5, 60.25)
        let got = PILResize.resize(p, width: 16, height: 12)
        XCTAssertEqual(got.pixels, reference(p, width: 16, height: 12, crop: (0, 0, 16, 12)))
        XCTAssertNotEqual(got.pixels, PILResize.resize(picture(width: 81, height: 61, channels: 3, seed: 9), width: 16, height: 12).pixels)
    }

    /// Fitting the decoder's bytes equals fitting the float picture (the path the tests against
    /// torchvision use).
    func testBytePathEqualsFloatPath() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/core/photo.jpg")
        for fit in ImageFit.allCases {
            let p = Preprocessing(preset: .imagenet, height: 24, width: 24, fit: fit)
            XCTAssertEqual(p.fitted(try ByteImage.load(url)), p.fitted(try Image.load(url)), "\(fit)")
            XCTAssertEqual(try p.load(url), p.fitted(try Image.load(url)), "\(fit)")
        }
    }
}
