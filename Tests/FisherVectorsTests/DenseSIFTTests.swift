import CKernels
import CVLFeat
import Foundation
import LRPCore
import XCTest
@testable import FisherVectors

/// Dense SIFT and smoothing against VLFeat (linked): vl_dsift, vl_imsmooth_f, and vl_phow's
/// composition (MATLAB vl_imsmooth taps + vl_dsift + contrast threshold + MATLAB scale).
final class DenseSIFTTests: XCTestCase {
    typealias S = FVKernelTestSupport

    /// Frames below this norm are compared separately: VLFeat's flat window sums running
    /// column integrals in float, which perturbs near-empty descriptors (see
    /// testLowContrastFramesAreMoreAccurateThanVLFeat and vendor-notes.md).
    let contrastFloor = 1e-3

    func compare(_ image: [Float], width: Int, height: Int, binSize: Int, step: Int, fast: Bool,
                 windowSize: Float, bounds: (Int, Int, Int, Int)? = nil, label: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let vl = S.vlDsift(image, width: width, height: height, binSize: binSize, step: step, fast: fast,
                           windowSize: Double(windowSize), bounds: bounds)
        let ours = try DenseSIFT.extract(grey: image, width: width, height: height,
                                         options: DenseSIFTOptions(binSize: binSize, step: step, bounds: bounds, fast: fast,
                                                                   windowSize: windowSize, matlabScale: false))
        XCTAssertEqual(ours.count, vl.frames.count, "\(label): frame count", file: file, line: line)
        guard ours.count == vl.frames.count, ours.count > 0 else { return }
        var worstDescriptor: Float = 0, worstNorm = 0.0, worstNormAbs = 0.0, compared = 0
        for f in 0..<ours.count {
            XCTAssertEqual(Double(ours.frames[4 * f]), vl.frames[f].x, "\(label): x of frame \(f)", file: file, line: line)
            XCTAssertEqual(Double(ours.frames[4 * f + 1]), vl.frames[f].y, "\(label): y of frame \(f)", file: file, line: line)
            XCTAssertEqual(ours.frames[4 * f + 2], Float(binSize), file: file, line: line)
            let nv = vl.frames[f].norm, dn = abs(Double(ours.frames[4 * f + 3]) - nv)
            worstNormAbs = max(worstNormAbs, dn)
            if nv >= contrastFloor {
                worstNorm = max(worstNorm, dn / nv)
                compared += 1
                for k in 0..<128 { worstDescriptor = max(worstDescriptor, abs(ours.descriptors[128 * f + k] - vl.descriptors[128 * f + k])) }
            }
        }
        XCTAssertLessThanOrEqual(worstDescriptor, 1e-4, "\(label): descriptors", file: file, line: line)
        XCTAssertLessThanOrEqual(worstNorm, 1e-4, "\(label): relative error of norms", file: file, line: line)
        XCTAssertLessThanOrEqual(worstNormAbs, 1e-6, "\(label): absolute error of norms", file: file, line: line)
        XCTAssertGreaterThan(compared, ours.count / 2, "\(label): most frames have contrast", file: file, line: line)
    }

    func testMatchesVLDsiftOnSamplePhotographs() throws {
        let photos = try S.samplePhotographs()
        XCTAssertFalse(photos.isEmpty, "Samples/*.jpg are part of the repository")
        try S.onBothPaths { path in
            for (i, p) in photos.enumerated() {
                let (b, step) = [(4, 3), (6, 2), (8, 3), (10, 5)][i % 4]
                try compare(p.grey, width: p.width, height: p.height, binSize: b, step: step, fast: true,
                            windowSize: 1.5, label: "\(p.name) fast b\(b) s\(step) \(path)")
                // Gaussian window on a crop (VLFeat's Gaussian mode is slow)
                let w = min(p.width, 160), h = min(p.height, 120)
                let crop = S.crop(p.grey, width: p.width, x: (p.width - w) / 2, y: (p.height - h) / 2, w: w, h: h)
                try compare(crop, width: w, height: h, binSize: [3, 4, 5, 6][i % 4], step: [1, 2, 3, 4][i % 4], fast: false,
                            windowSize: 2, label: "\(p.name) gaussian \(path)")
            }
        }
    }

    func testMatchesVLDsiftOnSyntheticImages() throws {
        try S.onBothPaths { path in
            for (seed, (w, h)) in [(97, 83), (64, 120), (131, 50)].enumerated() {
                let im = S.syntheticImage(width: w, height: h, seed: UInt64(seed + 1))
                for (b, step) in [(1, 1), (2, 1), (3, 2), (4, 3), (5, 4), (7, 3), (8, 1)] {
                    try compare(im, width: w, height: h, binSize: b, step: step, fast: true, windowSize: 1.5,
                                label: "synthetic\(seed) fast b\(b) s\(step) \(path)")
                    try compare(im, width: w, height: h, binSize: b, step: step, fast: false, windowSize: 2,
                                label: "synthetic\(seed) gaussian b\(b) s\(step) \(path)")
                }
                try compare(im, width: w, height: h, binSize: 4, step: 3, fast: true, windowSize: 1.5,
                            bounds: (5, 2, w - 4, h - 7), label: "synthetic\(seed) bounds \(path)")
            }
        }
    }

    /// Pins the deliberate difference: our bin filter is a direct convolution, VLFeat's flat window
    /// differences running column sums in float. On an image whose columns pass from strong texture
    /// to a nearly flat area, we stay at float precision of a double-precision evaluation of
    /// VLFeat's own algorithm (on VLFeat's own gradients) while VLFeat drifts by far more.
    func testLowContrastFramesAreMoreAccurateThanVLFeat() throws {
        let w = 40, h = 400, b = 4, step = 3
        var rng = S.RNG(7)
        var im = [Float](repeating: 0.5, count: w * h)
        for y in 0..<h { for x in 0..<w { im[y * w + x] = y < 300 ? Float(rng.uniform()) : 0.5 + Float(2e-3 * rng.uniform()) } }
        let vl = S.vlDsift(im, width: w, height: h, binSize: b, step: step, fast: true, windowSize: 1.5, wantGradients: true)
        let ours = try DenseSIFT.extract(grey: im, width: w, height: h,
                                         options: DenseSIFTOptions(binSize: b, step: step, fast: true, windowSize: 1.5, matlabScale: false))
        XCTAssertEqual(ours.count, vl.frames.count)
        let reference = DoubleReferenceDsift.flat(gradients: vl.gradients, width: w, height: h, binSize: b, step: step,
                                                  windowSize: 1.5)
        var oursError: Float = 0, vlError: Float = 0, lowContrast = 0
        for f in 0..<ours.count where vl.frames[f].norm < 1e-3 {
            lowContrast += 1
            for k in 0..<128 {
                oursError = max(oursError, abs(ours.descriptors[128 * f + k] - reference[128 * f + k]))
                vlError = max(vlError, abs(vl.descriptors[128 * f + k] - reference[128 * f + k]))
            }
        }
        XCTAssertGreaterThan(lowContrast, 20)
        XCTAssertLessThanOrEqual(oursError, 2e-5, "ours vs double-precision reference")
        XCTAssertGreaterThan(vlError, 10 * oursError, "VLFeat's running sums are the less accurate side")
    }

    /// The documented bin geometry, checked on VLFeat's own output: a bright dot placed at the
    /// centre (x + (bx − 1.5)·b, y + (by − 1.5)·b) of bin (bx, by) of a frame puts most of that
    /// frame's (unnormalised) gradient mass into descriptor entries 8·(bx + 4·by) ..< +8.
    func testBinCentresFollowVLFeatGeometry() throws {
        let (w, h, b) = (40, 40, 5)
        for (bx, by) in [(0, 0), (3, 0), (1, 2), (2, 3), (3, 3)] {
            var im = [Float](repeating: 0, count: w * h)
            // frame with upper-left bin centre at (10, 12): centre (17.5, 19.5)
            let (fx, fy) = (10, 12)
            let (px, py) = (fx + bx * b, fy + by * b)
            XCTAssertEqual(Double(px), Double(fx) + 1.5 * Double(b) + (Double(bx) - 1.5) * Double(b))
            im[py * w + px] = 1
            let vl = S.vlDsift(im, width: w, height: h, binSize: b, step: 1, fast: true, windowSize: 1.5,
                               bounds: (fx, fy, w - 1, h - 1))
            XCTAssertEqual(vl.frames[0].x, Double(fx) + 1.5 * Double(b))
            XCTAssertEqual(vl.frames[0].y, Double(fy) + 1.5 * Double(b))
            let mass = (0..<16).map { bin in (0..<8).reduce(Float(0)) { $0 + vl.descriptors[8 * bin + $1] } }
            XCTAssertEqual(mass.indices.max { mass[$0] < mass[$1] }, bx + 4 * by, "dot at bin (\(bx), \(by))")
            let ours = try DenseSIFT.extract(grey: im, width: w, height: h,
                                             options: DenseSIFTOptions(binSize: b, step: 1, bounds: (fx, fy, w - 1, h - 1),
                                                                       fast: true, windowSize: 1.5, matlabScale: false))
            let worst = (0..<128).map { abs(ours.descriptors[$0] - vl.descriptors[$0]) }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-5)
        }
    }

    func testSplittingFrameRowsOverThreadsChangesNothing() throws {
        let (w, h) = (150, 130)
        let im = S.syntheticImage(width: w, height: h, seed: 11)
        for fast in [true, false] {
            let o = DenseSIFTOptions(binSize: 5, step: 2, fast: fast, windowSize: 1.5, smoothSigma: 0.8)
            let one = try DenseSIFT.extract(grey: im, width: w, height: h, options: o, threads: 1)
            for threads in [2, 3, 7] {
                let many = try DenseSIFT.extract(grey: im, width: w, height: h, options: o, threads: threads)
                XCTAssertEqual(one, many, "threads \(threads), fast \(fast)")
            }
        }
    }

    func testMatlabScaleAndContrastThreshold() throws {
        let (w, h) = (90, 70)
        let im = S.syntheticImage(width: w, height: h, seed: 3)
        var o = DenseSIFTOptions(binSize: 4, step: 2, fast: true, windowSize: 1.5, matlabScale: false)
        let unit = try DenseSIFT.extract(grey: im, width: w, height: h, options: o)
        o.matlabScale = true
        o.contrastThreshold = 0.02
        let scaled = try DenseSIFT.extract(grey: im, width: w, height: h, options: o)
        XCTAssertEqual(unit.frames, scaled.frames)
        var zeroed = 0
        for f in 0..<unit.count {
            let low = Double(unit.frames[4 * f + 3]) < 0.02
            if low { zeroed += 1 }
            for k in 0..<128 {
                let expected = low ? 0 : min(512 * unit.descriptors[128 * f + k], 255)
                XCTAssertEqual(scaled.descriptors[128 * f + k], expected, "frame \(f) entry \(k)")
            }
        }
        XCTAssertGreaterThan(zeroed, 0)
        XCTAssertLessThan(zeroed, unit.count)
    }

    /// vl_phow (grey, fast): per size σ = size/6 smoothing with MATLAB vl_imsmooth's kernel, bounds
    /// offset floor(1.5·(max − size)) (0-based), window 1.5, norm < 0.005 zeroed, min(512·d, 255).
    func testPhowMatchesVLFeatComposition() throws {
        let photos = try S.samplePhotographs()
        let p = try XCTUnwrap(photos.first { $0.name == "chelsea.jpg" } ?? photos.first)
        let sizes = [4, 6, 8, 10], step = 3
        let ours = try DenseSIFT.phow(grey: p.grey, width: p.width, height: p.height, sizes: sizes, step: step)
        var offset = 0
        for size in sizes {
            let taps = S.matlabSmoothTaps(sigma: Double(size) / 6)
            let smoothed = S.vlSmooth(p.grey, width: p.width, height: p.height, taps: taps)
            let off = Int((1.5 * Double(10 - size)).rounded(.down))
            let vl = S.vlDsift(smoothed, width: p.width, height: p.height, binSize: size, step: step, fast: true,
                               windowSize: 1.5, bounds: (off, off, p.width - 1, p.height - 1))
            var worst: Float = 0
            for f in 0..<vl.frames.count {
                let g = offset + f
                XCTAssertEqual(Double(ours.frames[4 * g]), vl.frames[f].x)
                XCTAssertEqual(Double(ours.frames[4 * g + 1]), vl.frames[f].y)
                XCTAssertEqual(ours.frames[4 * g + 2], Float(size))
                XCTAssertEqual(Double(ours.frames[4 * g + 3]), vl.frames[f].norm, accuracy: 1e-4 * vl.frames[f].norm + 1e-7)
                let kept = vl.frames[f].norm >= 0.005
                if !kept && abs(vl.frames[f].norm - 0.005) > 1e-6 {
                    XCTAssertEqual(ours.descriptors[128 * g..<128 * g + 128].max(), 0, "zeroed below the contrast threshold")
                }
                if kept && vl.frames[f].norm > 0.00501 {
                    for k in 0..<128 {
                        worst = max(worst, abs(ours.descriptors[128 * g + k] - min(512 * vl.descriptors[128 * f + k], 255)))
                    }
                }
            }
            XCTAssertLessThanOrEqual(worst, 512 * 1e-4, "size \(size) on the 0...255 scale")
            // centres aligned across scales: the first frame sits at the same place for every size
            XCTAssertEqual(Double(ours.frames[4 * offset]), Double(off) + 1.5 * Double(size))
            XCTAssertEqual(ours.frames[4 * offset], 15, "floor(1.5·(10 − size)) + 1.5·size = 15 for even sizes")
            offset += vl.frames.count
        }
        XCTAssertEqual(ours.count, offset)
    }

    func testSmoothingMatchesVLImsmoothF() throws {
        let (w, h) = (83, 61)
        let im = S.syntheticImage(width: w, height: h, seed: 5)
        try S.onBothPaths { path in
            for sigma in [0.3, 0.5, 2.0 / 3.0, 1.0, 5.0 / 3.0, 3.2] {
                var vl = [Float](repeating: 0, count: w * h)
                im.withUnsafeBufferPointer { i in
                    vl.withUnsafeMutableBufferPointer { o in
                        vl_imsmooth_f(o.baseAddress, vl_size(w), i.baseAddress, vl_size(w), vl_size(h), vl_size(w), sigma, sigma)
                    }
                }
                let ours = try GaussianSmoothing.smooth(im, width: w, height: h, sigma: sigma, kernel: .vlImsmoothF)
                let worst = zip(ours, vl).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 2e-6, "σ \(sigma) \(path)")
            }
        }
    }

    func testMatlabSmoothingTapsAndConvolutionMatchVLFeat() throws {
        let (w, h) = (77, 52)
        let im = S.syntheticImage(width: w, height: h, seed: 9)
        for sigma in [4.0 / 6, 1.0, 8.0 / 6, 10.0 / 6, 2.5] {
            let expected = S.matlabSmoothTaps(sigma: sigma)
            var taps = [Float](repeating: 0, count: 64)
            var radius: Int32 = 0
            XCTAssertEqual(lrp_gaussian_taps(sigma, Int32(LRP_SMOOTH_VL_MEX.rawValue), &taps, 64, &radius), LRP_OK.rawValue)
            XCTAssertEqual(Array(taps[0..<Int(2 * radius + 1)]), expected, "taps σ \(sigma)")
            let vl = S.vlSmooth(im, width: w, height: h, taps: expected)
            let ours = try GaussianSmoothing.smooth(im, width: w, height: h, sigma: sigma, kernel: .matlab)
            XCTAssertLessThanOrEqual(zip(ours, vl).map { abs($0 - $1) }.max() ?? 0, 2e-6, "σ \(sigma)")
        }
        // MATLAB's vl_imsmooth returns the input unchanged below σ = 0.01
        XCTAssertEqual(try GaussianSmoothing.smooth(im, width: w, height: h, sigma: 0.005, kernel: .matlab), im)
    }

    func testBadParametersAreErrorsAndTinyImagesGiveNoFrames() throws {
        let im = [Float](repeating: 0.5, count: 20 * 10)
        XCTAssertThrowsError(try DenseSIFT.extract(grey: im, width: 20, height: 10, options: DenseSIFTOptions(binSize: 0, step: 1)))
        XCTAssertThrowsError(try DenseSIFT.extract(grey: im, width: 20, height: 10, options: DenseSIFTOptions(binSize: 4, step: 0)))
        XCTAssertThrowsError(try DenseSIFT.extract(grey: im, width: 19, height: 10, options: DenseSIFTOptions(binSize: 2, step: 1)))
        XCTAssertThrowsError(try DenseSIFT.extract(grey: im, width: 20, height: 10,
                                                   options: DenseSIFTOptions(binSize: 2, step: 1, windowSize: 0)))
        let none = try DenseSIFT.extract(grey: im, width: 20, height: 10, options: DenseSIFTOptions(binSize: 4, step: 1))
        XCTAssertEqual(none.count, 0, "a 13-pixel descriptor does not fit in 10 rows")
        XCTAssertThrowsError(try DenseSIFT.phow(grey: im, width: 20, height: 10, sizes: []))
    }
}

/// Double-precision evaluation of vl_dsift's flat-window descriptors from given gradient planes
/// (triangle bin filter as a direct sum, window means and normalisation as VLFeat computes them,
/// including its fast square root).
enum DoubleReferenceDsift {
    static func fastSqrt(_ x: Float) -> Float {
        if Double(x) < 1e-8 { return 0 }
        let xhalf = 0.5 * x
        var u = Float(bitPattern: 0x5f3759df &- (x.bitPattern >> 1))
        u = u * (1.5 - xhalf * u * u)
        u = u * (1.5 - xhalf * u * u)
        return x * u
    }

    static func windowMean(_ b: Int, _ bin: Int, _ ws: Float) -> Float {
        let delta = Float(b) * (Float(bin) - 0.5 * 3), sigma = Float(b) * ws
        var acc: Float = 0
        for x in (-b + 1)...(b - 1) { let z = (Float(x) - delta) / sigma; acc += expf(-0.5 * z * z) }
        return acc / Float(2 * b - 1)
    }

    static func flat(gradients g: [Float], width w: Int, height h: Int, binSize b: Int, step: Int, windowSize: Float) -> [Float] {
        let nx = (w - 1 - 3 * b) / step + 1, ny = (h - 1 - 3 * b) / step + 1
        var out = [Float](repeating: 0, count: nx * ny * 128)
        let wm = (0..<4).map { Double(windowMean(b, $0, windowSize)) }
        for fy in 0..<ny {
            for fx in 0..<nx {
                var d = [Double](repeating: 0, count: 128)
                for by in 0..<4 { for bx in 0..<4 {
                    let cx = fx * step + bx * b, cy = fy * step + by * b
                    for t in 0..<8 {
                        var acc = 0.0
                        for dy in (-b + 1)...(b - 1) {
                            let yy = min(max(cy + dy, 0), h - 1)
                            for dx in (-b + 1)...(b - 1) {
                                let xx = min(max(cx + dx, 0), w - 1)
                                acc += Double((b - abs(dx)) * (b - abs(dy))) * Double(g[t * w * h + yy * w + xx])
                            }
                        }
                        d[t + 8 * (bx + 4 * by)] = acc * wm[bx] * wm[by] / Double(b * b)
                    }
                } }
                for pass in 0..<2 {
                    let norm = Double(fastSqrt(Float(d.reduce(0) { $0 + $1 * $1 }))) + Double(Float.ulpOfOne)
                    d = d.map { $0 / norm }
                    if pass == 0 { d = d.map { min($0, 0.2) } }
                }
                for k in 0..<128 { out[(fy * nx + fx) * 128 + k] = Float(d[k]) }
            }
        }
        return out
    }
}
