import Foundation
import LRPCore

/// Relevance maps put back on the photograph's own geometry and rendered (docs/DESIGN.md §10.1).
///
/// A map in a pipeline's grid (CNN input, FV working image) is resampled onto a display grid of
/// the photo by **area weighting**: each display pixel gets the mean of the map pixels it
/// overlaps, weighted by the overlap (separable, both axes are scale + offset). Display pixels
/// the grid covers by less than half (outside a centre crop) get NaN and are drawn grey.
/// Area weighting keeps a block of a coarse map a sharp block and never invents values.
public enum PhotoMap {
    /// Colour of photo regions a map does not cover (outside the CNN's centre crop).
    public static let outsideColor: (UInt8, UInt8, UInt8) = (150, 150, 150)

    /// The map resampled to a `width × height` display grid of a `photoWidth × photoHeight` photo.
    /// - Returns: `[height, width]`, NaN where the map does not cover the display pixel.
    public static func resample(_ map: NDArray, placement p: GridPlacement, photoWidth: Int, photoHeight: Int,
                                width: Int, height: Int) -> NDArray {
        precondition(map.shape == [p.height, p.width], "map \(map.shape) does not match its placement \(p.height)×\(p.width)")
        let tx = taps(display: width, photo: Double(photoWidth), source: p.width, scale: p.scaleX, offset: p.offsetX)
        let ty = taps(display: height, photo: Double(photoHeight), source: p.height, scale: p.scaleY, offset: p.offsetY)
        var out = [Float](repeating: .nan, count: width * height)
        let src = map.data, sw = p.width
        for y in 0..<height {
            let (ys, yw, ycov) = ty[y]
            guard ycov >= 0.5 else { continue }
            for x in 0..<width {
                let (xs, xw, xcov) = tx[x]
                guard xcov >= 0.5 else { continue }
                var acc = 0.0
                for (i, wy) in yw.enumerated() {
                    let row = (ys + i) * sw + xs
                    var r = 0.0
                    for (j, wx) in xw.enumerated() { r += wx * Double(src[row + j]) }
                    acc += wy * r
                }
                out[y * width + x] = Float(acc / (xcov * ycov))
            }
        }
        return NDArray(shape: [height, width], data: out)
    }

    /// Per display pixel: first source pixel, overlap weights (fractions of the display pixel)
    /// and their sum (the covered fraction).
    static func taps(display n: Int, photo: Double, source m: Int, scale: Double, offset: Double)
        -> [(start: Int, weights: [Double], coverage: Double)] {
        let step = photo / Double(n)
        return (0..<n).map { d in
            let a = Double(d) * step, b = Double(d + 1) * step
            // source pixel u covers [(u + offset)·scale, (u + 1 + offset)·scale)
            let first = max(0, Int((a / scale - offset).rounded(.down)))
            let last = min(m - 1, Int((b / scale - offset).rounded(.up)) - 1)
            guard first <= last else { return (0, [], 0) }
            var weights: [Double] = []
            for u in first...last {
                let lo = max(a, (Double(u) + offset) * scale), hi = min(b, (Double(u) + 1 + offset) * scale)
                weights.append(max(0, hi - lo) / step)
            }
            return (first, weights, weights.reduce(0, +))
        }
    }

    /// Colour-mapped RGBA of a display map, normalised by its largest |value| (zero is always the
    /// neutral colour, docs/DESIGN.md §5.4); NaN pixels are `outsideColor`. `scale` overrides the
    /// normaliser (e.g. one scale for several maps).
    public static func render(_ map: NDArray, colormap: Colormap = .lrp, scale: Float? = nil) -> [UInt8] {
        let s = scale ?? Heatmap.maxAbs(map.data)
        var out = [UInt8](repeating: 255, count: map.count * 4)
        for (i, v) in map.data.enumerated() {
            let (r, g, b) = v.isNaN ? outsideColor : colormap.color(s > 0 ? v / s : 0)
            out[4 * i] = r; out[4 * i + 1] = g; out[4 * i + 2] = b
        }
        return out
    }

    /// The photo (RGB bytes of the display grid) with the map's positive part as alpha
    /// (docs/DESIGN.md §5.4's overlay, without re-smoothing: the low-resolution map is already
    /// coarse). Alpha is normalised by the `percentile` of the positive values and clipped, not
    /// by the maximum: one sharp peak would otherwise leave the rest of the photo invisible.
    /// NaN pixels are transparent.
    public static func alphaOverlay(photo: [UInt8], map: NDArray, percentile: Double = 0.99) -> [UInt8] {
        precondition(photo.count == map.count * 3, "the photo must have the map's display size")
        let positive = map.data.filter { $0.isFinite && $0 > 0 }.sorted()
        let top = positive.isEmpty ? 0 : positive[min(positive.count - 1, Int(Double(positive.count) * percentile))]
        var out = [UInt8](repeating: 0, count: map.count * 4)
        for i in 0..<map.count {
            out[4 * i] = photo[3 * i]; out[4 * i + 1] = photo[3 * i + 1]; out[4 * i + 2] = photo[3 * i + 2]
            let v = map.data[i]
            let a = top > 0 && v.isFinite ? min(1, max(0, v) / top) : 0
            out[4 * i + 3] = UInt8((a * 255).rounded())
        }
        return out
    }

    /// The photo decoded at a display size (longer side `maxSide`, aspect kept), RGB; a huge
    /// photo is reduced while it is decoded (docs/DESIGN.md §5.3).
    public static func displayPhoto(_ url: URL, photoWidth: Int, photoHeight: Int, maxSide: Int) throws -> Image {
        let (w, h) = PhotoGeometry.displaySize(photoWidth: photoWidth, photoHeight: photoHeight, maxSide: maxSide)
        let image = try Image.load(url, need: Image.Need(width: w, height: h, keepAspect: true))
        var out = image.rgb().resized(width: w, height: h)
        out.pixels = out.pixels.map { max(0, min(255, $0.rounded())) }
        return out
    }

    /// Renders one map on the photo's geometry to an RGB PNG (longer side `maxSide`), written
    /// atomically: for sliders over cut-offs and resolutions (docs/DESIGN.md §10.3).
    public static func writePNG(_ map: NDArray, placement: GridPlacement, photoWidth: Int, photoHeight: Int,
                                maxSide: Int = 512, colormap: Colormap = .lrp, to url: URL) throws {
        let (w, h) = PhotoGeometry.displaySize(photoWidth: photoWidth, photoHeight: photoHeight, maxSide: maxSide)
        let display = resample(map, placement: placement, photoWidth: photoWidth, photoHeight: photoHeight, width: w, height: h)
        let rgba = render(display, colormap: colormap)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) { rgb[3 * i] = rgba[4 * i]; rgb[3 * i + 1] = rgba[4 * i + 1]; rgb[3 * i + 2] = rgba[4 * i + 2] }
        try PNGFile.write(rgb, width: w, height: h, channels: 3, to: url)
    }
}
