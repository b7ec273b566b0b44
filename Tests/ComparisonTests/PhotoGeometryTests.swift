import CNNRelevance
import Comparison
import Foundation
import LRPCore
import XCTest

/// Maps go back onto the photograph's own geometry (docs/DESIGN.md §10.1).
final class PhotoGeometryTests: XCTestCase {
    /// A `[h, w]` map that is 1 at one pixel and 0 elsewhere.
    private func marking(_ u: Int, _ v: Int, width w: Int, height h: Int) -> NDArray {
        var data = [Float](repeating: 0, count: w * h)
        data[v * w + u] = 1
        return NDArray(shape: [h, w], data: data)
    }

    /// Photo pixels (at full photo resolution) that got any of the marked value, as a bounding box.
    private func box(_ m: NDArray) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        let (h, w) = (m.shape[0], m.shape[1])
        var b: (Int, Int, Int, Int)?
        for y in 0..<h { for x in 0..<w where m.data[y * w + x].isFinite && m.data[y * w + x] > 0 {
            b = b.map { (min($0.0, x), min($0.1, y), max($0.2, x), max($0.3, y)) } ?? (x, y, x, y)
        } }
        return b.map { (x0: $0.0, y0: $0.1, x1: $0.2, y1: $0.3) }
    }

    func testCenterCropPixelLandsWhereTheCropPutsIt() {
        // 300×180 photo, 32×32 input: shorter side → 36, so 60×36 resized (5 photo px per
        // resized px), crop offset (14, 2).
        let p = Preprocessing(preset: .imagenet, height: 32, width: 32, fit: .center)
        let g = PhotoGeometry.cnn(photoWidth: 300, photoHeight: 180, preprocessing: p)
        XCTAssertEqual(g.scaleX, 5, accuracy: 1e-12)
        XCTAssertEqual(g.scaleY, 5, accuracy: 1e-12)
        XCTAssertEqual(g.offsetX, 14)
        XCTAssertEqual(g.offsetY, 2)
        let onPhoto = PhotoMap.resample(marking(3, 7, width: 32, height: 32), placement: g, photoWidth: 300, photoHeight: 180,
                                        width: 300, height: 180)
        // input pixel (3, 7) is resized pixel (17, 9) = photo [85, 90) × [45, 50)
        let b = box(onPhoto)
        XCTAssertEqual(b?.x0, 85); XCTAssertEqual(b?.x1, 89); XCTAssertEqual(b?.y0, 45); XCTAssertEqual(b?.y1, 49)
        XCTAssertEqual(onPhoto.data[47 * 300 + 87], 1, accuracy: 1e-6)
        // outside the crop (left 70 photo columns, top 10 rows) there is no value
        XCTAssertTrue(onPhoto.data[100 * 300 + 20].isNaN)
        XCTAssertTrue(onPhoto.data[5 * 300 + 150].isNaN)
        XCTAssertFalse(onPhoto.data[100 * 300 + 150].isNaN)
    }

    func testNoCropPixelLandsOnItsStretchedBlock() {
        let p = Preprocessing(preset: .imagenet, height: 20, width: 20, fit: .resize)
        let g = PhotoGeometry.cnn(photoWidth: 200, photoHeight: 100, preprocessing: p)
        let onPhoto = PhotoMap.resample(marking(19, 0, width: 20, height: 20), placement: g, photoWidth: 200, photoHeight: 100,
                                        width: 200, height: 100)
        let b = box(onPhoto)
        XCTAssertEqual(b?.x0, 190); XCTAssertEqual(b?.x1, 199); XCTAssertEqual(b?.y0, 0); XCTAssertEqual(b?.y1, 4)
        XCTAssertFalse(onPhoto.data.contains { $0.isNaN }, "no crop: every photo pixel is covered")
    }

    /// The placement agrees with what `Preprocessing.fitted` really does: a bright square in the
    /// photo is found in the network input where the placement says it is.
    func testPlacementMatchesThePreprocessingItUndoes() {
        let (pw, ph) = (240, 150)
        var pixels = [Float](repeating: 30, count: pw * ph * 3)
        let (sx, sy, side) = (140, 40, 20)  // inside the centre crop too
        for y in sy..<(sy + side) { for x in sx..<(sx + side) { for c in 0..<3 { pixels[(y * pw + x) * 3 + c] = 250 } } }
        let photo = Image(width: pw, height: ph, channels: 3, pixels: pixels)
        for fit in [ImageFit.resize, .center] {
            let p = Preprocessing(preset: .imagenet, height: 64, width: 64, fit: fit)
            let fitted = p.fitted(photo)
            var (cx, cy, n) = (0.0, 0.0, 0.0)
            for y in 0..<64 { for x in 0..<64 where fitted.pixels[(y * 64 + x) * 3] > 140 { cx += Double(x) + 0.5; cy += Double(y) + 0.5; n += 1 } }
            XCTAssertGreaterThan(n, 0)
            let g = PhotoGeometry.cnn(photoWidth: pw, photoHeight: ph, preprocessing: p)
            let px = (cx / n + g.offsetX) * g.scaleX, py = (cy / n + g.offsetY) * g.scaleY
            XCTAssertEqual(px, Double(sx) + Double(side) / 2, accuracy: 1.5, "\(fit)")
            XCTAssertEqual(py, Double(sy) + Double(side) / 2, accuracy: 1.5, "\(fit)")
        }
    }

    func testFisherWorkingScaleIsUndone() {
        // 1280×960 works at 640×480: working pixel (100, 50) is photo [200, 202) × [100, 102).
        let g = PhotoGeometry.fisher(photoWidth: 1280, photoHeight: 960)
        XCTAssertEqual(g.width, 640); XCTAssertEqual(g.height, 480)
        let onPhoto = PhotoMap.resample(marking(100, 50, width: 640, height: 480), placement: g, photoWidth: 1280,
                                        photoHeight: 960, width: 1280, height: 960)
        let b = box(onPhoto)
        XCTAssertEqual(b?.x0, 200); XCTAssertEqual(b?.x1, 201); XCTAssertEqual(b?.y0, 100); XCTAssertEqual(b?.y1, 101)
        // a photo within the working size is used as it is
        let same = PhotoGeometry.fisher(photoWidth: 500, photoHeight: 375)
        XCTAssertEqual(same, GridPlacement(width: 500, height: 375, scaleX: 1, scaleY: 1))
        // and a reduced display keeps the mass where it was: the display pixel over it is the only one lit
        let small = PhotoMap.resample(marking(100, 50, width: 640, height: 480), placement: g, photoWidth: 1280,
                                      photoHeight: 960, width: 320, height: 240)
        XCTAssertEqual(box(small).map { [$0.x0, $0.y0, $0.x1, $0.y1] }, [50, 25, 50, 25])
    }

    func testRenderingIsNeutralAtZeroAndGreyOutside() {
        let m = NDArray(shape: [1, 4], data: [-2, 0, 2, .nan])
        let rgba = PhotoMap.render(m)
        let green = Colormap.lrp.color(0), red = Colormap.lrp.color(1), blue = Colormap.lrp.color(-1)
        XCTAssertEqual(Array(rgba[0..<3]), [blue.0, blue.1, blue.2])
        XCTAssertEqual(Array(rgba[4..<7]), [green.0, green.1, green.2])
        XCTAssertEqual(Array(rgba[8..<11]), [red.0, red.1, red.2])
        XCTAssertEqual(Array(rgba[12..<15]), [PhotoMap.outsideColor.0, PhotoMap.outsideColor.1, PhotoMap.outsideColor.2])
    }
}
