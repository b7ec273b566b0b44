import CNNRelevance
import LRPCore
import XCTest

/// Preprocessing against torchvision's PIL-based transforms (Scripts/make_import_fixtures.py).
final class PreprocessingTests: XCTestCase {
    func photo() throws -> Image { try Image.load(fixtureURL("core/photo.png")) }

    func testResizeEqualsPillowEightBit() throws {
        for (w, h) in [(20, 15), (64, 48), (7, 30)] {
            let expected = try NPY.read(fixtureURL("cnn-import/preprocess.resize_\(w)x\(h).npy"))
            let got = Preprocessing(preset: .imagenet, height: h, width: w).fitted(try photo())
            XCTAssertEqual(got.width, w); XCTAssertEqual(got.height, h)
            XCTAssertEqual(got.pixels, expected.data, "\(w)x\(h)")
        }
    }

    func testPresetsAndFitsEqualTorchvision() throws {
        for preset in PreprocessPreset.allCases {
            for fit in ImageFit.allCases {
                // 20: the centre crop offset is 4.5, which torchvision rounds half to even.
                for size in [16, 20, 28] {
                    let expected = try NPY.read(fixtureURL("cnn-import/preprocess.\(preset.rawValue).\(fit.rawValue).\(size).npy"))
                    let p = Preprocessing(preset: preset, height: size, width: size, fit: fit)
                    let t = p.tensor(fromFitted: p.fitted(try photo()))
                    assertAllClose(t, expected.data, tol: 1e-6, "\(preset) \(fit) \(size)")
                }
            }
        }
    }

    func testInverseGivesThePictureBack() throws {
        for preset in PreprocessPreset.allCases {
            let p = Preprocessing(preset: preset, height: 24, width: 32)
            let fitted = p.fitted(try photo())
            let back = p.image(fromTensor: p.tensor(fromFitted: fitted), height: 24, width: 32)
            assertAllClose(back.pixels, fitted.pixels, tol: 1e-5, "\(preset)")
        }
    }

    /// z-box bounds are pixels 0 and 255 mapped through the preset.
    func testZBoxBounds() {
        let imagenet = Preprocessing(preset: .imagenet, height: 1, width: 1)
        XCTAssertEqual(imagenet.zBoxLow[0], -0.485 / 0.229, accuracy: 1e-5)
        XCTAssertEqual(imagenet.zBoxHigh[2], (1 - 0.406) / 0.225, accuracy: 1e-5)
        let caffe = Preprocessing(preset: .caffe, height: 1, width: 1)
        XCTAssertEqual(caffe.zBoxLow, [-103.939, -116.779, -123.68])
        XCTAssertEqual(caffe.zBoxHigh[0], 255 - 103.939, accuracy: 1e-4)
    }

    /// Loading through `Preprocessing.load` equals decoding then fitting for ordinary pictures,
    /// and stays close for a picture large enough to be reduced while it is decoded.
    func testLoadReducesOnlyLargePictures() throws {
        for fit in ImageFit.allCases {
            let p = Preprocessing(preset: .imagenet, height: 16, width: 16, fit: fit)
            XCTAssertEqual(try p.load(fixtureURL("core/photo.png")), p.fitted(try photo()), "\(fit)")
        }
        let w = 300, h = 200
        var bytes = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { bytes[(y * w + x) * 3 + c] = UInt8(min(255, x * (c + 1) / 4 + y / 2)) } } }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-pre-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try PNGFile.write(bytes, width: w, height: h, channels: 3, to: url)
        for fit in ImageFit.allCases {
            let p = Preprocessing(preset: .imagenet, height: 16, width: 16, fit: fit)
            let reduced = try p.load(url), full = p.fitted(try Image.load(url))
            XCTAssertNotEqual(try Image.load(url, need: p.decodeNeed).width, w)
            let mean = zip(reduced.pixels, full.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(full.pixels.count)
            XCTAssertLessThan(mean, 2, "\(fit)")
        }
    }
}
