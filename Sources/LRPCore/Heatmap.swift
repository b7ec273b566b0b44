import CKernels
import Foundation

/// Rendering of relevance maps to pictures: a colour-mapped heatmap and an overlay that uses
/// the relevance as the alpha channel of the input image.
public enum Heatmap {
    /// Largest absolute finite value (0 for an all-zero map).
    public static func maxAbs(_ values: [Float]) -> Float {
        values.reduce(0) { $1.isFinite ? max($0, abs($1)) : $0 }
    }

    /// Colour-mapped heatmap, normalised symmetrically by the largest |relevance| so that zero
    /// is always the neutral colour. Returns HWC RGB bytes.
    public static func render(_ map: NDArray, colormap: Colormap = .lrp) -> [UInt8] {
        let scale = maxAbs(map.data)
        var out = [UInt8](repeating: 0, count: map.count * 3)
        map.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in colormap.colors(src, scale: scale, into: dst) }
        }
        return out
    }

    /// The input picture with a low-resolution heatmap as its alpha channel (docs/DESIGN.md §5): the
    /// map is averaged over blocks (about 1/28 of the shorter side, so a 224-pixel image gets
    /// 8-pixel blocks), spread back bilinearly, and its positive part, normalised by its
    /// maximum, becomes the alpha. Where the model found evidence the picture shows; elsewhere
    /// it fades out. Averaging first keeps fine, pixel-accurate maps from rendering as an almost
    /// transparent picture with a few dots. `image` must have the map's size. HWC RGBA bytes.
    public static func overlay(image: Image, map: NDArray, blocks: Int = 28) -> [UInt8] {
        precondition(map.shape == [image.height, image.width], "overlay needs a map of the image's size")
        let h = image.height, w = image.width
        let picture = image.rgb()
        let alpha = lowResolution(map, block: max(1, min(h, w) / max(1, blocks)))
        let top = alpha.reduce(0) { $1.isFinite ? max($0, $1) : $0 }
        var out = [UInt8](repeating: 0, count: h * w * 4)
        picture.pixels.withUnsafeBufferPointer { rgb in
            alpha.withUnsafeBufferPointer { alpha in
                out.withUnsafeMutableBufferPointer { out in
                    for i in 0..<(h * w) {
                        // the colour as `Image.bytes()` rounds it
                        for k in 0..<3 { out[4 * i + k] = roundedByte(rgb[3 * i + k]) }
                        let a = top > 0 && alpha[i].isFinite ? max(0, alpha[i]) / top : 0
                        out[4 * i + 3] = roundedByte(min(1, a) * 255)
                    }
                }
            }
        }
        return out
    }

    /// Block means of `map` (block×block pixels, partial blocks at the edges), interpolated
    /// bilinearly back to the map's size between block centres.
    static func lowResolution(_ map: NDArray, block: Int) -> [Float] {
        let h = map.shape[0], w = map.shape[1]
        if block <= 1 { return map.data }
        let bh = (h + block - 1) / block, bw = (w + block - 1) / block
        var sums = [Float](repeating: 0, count: bh * bw), counts = [Float](repeating: 0, count: bh * bw)
        map.data.withUnsafeBufferPointer { data in
            for y in 0..<h {
                for x in 0..<w where data[y * w + x].isFinite {
                    sums[(y / block) * bw + x / block] += data[y * w + x]
                    counts[(y / block) * bw + x / block] += 1
                }
            }
        }
        let means = zip(sums, counts).map { $1 > 0 ? $0 / $1 : 0 }
        // Block (i, j) is centred at ((i + 0.5)·block − 0.5, ...) in pixel coordinates.
        func axis(_ p: Int, _ n: Int) -> (Int, Int, Float) {
            let t = (Float(p) + 0.5) / Float(block) - 0.5
            let i0 = max(0, min(n - 1, Int(t.rounded(.down))))
            let i1 = min(n - 1, i0 + 1)
            return (i0, i1, max(0, min(1, t - Float(i0))))
        }
        let columns = (0..<w).map { axis($0, bw) }  // the same for every row
        var out = [Float](repeating: 0, count: h * w)
        means.withUnsafeBufferPointer { means in
            out.withUnsafeMutableBufferPointer { out in
                for y in 0..<h {
                    let (y0, y1, fy) = axis(y, bh)
                    for x in 0..<w {
                        let (x0, x1, fx) = columns[x]
                        let top = means[y0 * bw + x0] * (1 - fx) + means[y0 * bw + x1] * fx
                        let bottom = means[y1 * bw + x0] * (1 - fx) + means[y1 * bw + x1] * fx
                        out[y * w + x] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
        return out
    }
}

/// PNG output through libpng.
public enum PNGFile {
    /// zlib level and row filter, chosen per content: both are lossless, they trade CPU time
    /// against file size (docs/DESIGN.md §5.4).
    public struct Encoding: Sendable, Equatable {
        public var level: Int32
        public var subFilter: Bool

        /// Photographs: level 1, Sub filter.
        public static let photo = Encoding(level: 1, subFilter: true)
        /// Colour-mapped heatmaps: level 1 unfiltered (runs of one colour compress better
        /// unfiltered, and faster).
        public static let colourMap = Encoding(level: 1, subFilter: false)
        /// Stored (deflate level 0): for the overlay, a photograph with an alpha channel, which
        /// level 1 shrinks by about a third at ten times the CPU time of storing it.
        public static let stored = Encoding(level: 0, subFilter: false)
    }

    /// Writes HWC 8-bit pixels (1, 3 or 4 channels) atomically.
    public static func write(_ pixels: [UInt8], width: Int, height: Int, channels: Int, encoding: Encoding = .photo,
                             to url: URL) throws {
        precondition(pixels.count == width * height * channels)
        try AtomicFile.write(to: url) { tmp in
            var message = [CChar](repeating: 0, count: 256)
            let status = pixels.withUnsafeBufferPointer { buf in
                lrp_png_write(tmp.path, buf.baseAddress, Int32(width), Int32(height), Int32(channels), encoding.level,
                              encoding.subFilter ? 1 : 0, &message, message.count)
            }
            if status != LRP_OK.rawValue {
                throw LRPError("cannot write \(url.path): \(String(cString: message))")
            }
        }
    }
}
