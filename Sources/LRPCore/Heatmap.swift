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
        for (i, v) in map.data.enumerated() {
            let (r, g, b) = colormap.color(scale > 0 ? v / scale : 0)
            out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b
        }
        return out
    }

    /// The input picture with the positive relevance as its alpha channel (normalised by the
    /// largest positive value): where the model found evidence the picture shows, elsewhere it
    /// fades out. `image` must have the map's size. Returns HWC RGBA bytes.
    public static func overlay(image: Image, map: NDArray) -> [UInt8] {
        precondition(map.shape == [image.height, image.width], "overlay needs a map of the image's size")
        let rgb = image.rgb().bytes()
        let top = map.data.reduce(0) { $1.isFinite ? max($0, $1) : $0 }
        var out = [UInt8](repeating: 0, count: map.count * 4)
        for i in 0..<map.count {
            out[4 * i] = rgb[3 * i]; out[4 * i + 1] = rgb[3 * i + 1]; out[4 * i + 2] = rgb[3 * i + 2]
            let a = top > 0 ? max(0, map.data[i]) / top : 0
            out[4 * i + 3] = UInt8((a * 255).rounded())
        }
        return out
    }
}

/// PNG output through libpng.
public enum PNGFile {
    /// Writes HWC 8-bit pixels (1, 3 or 4 channels) atomically.
    public static func write(_ pixels: [UInt8], width: Int, height: Int, channels: Int, to url: URL) throws {
        precondition(pixels.count == width * height * channels)
        try AtomicFile.write(to: url) { tmp in
            var message = [CChar](repeating: 0, count: 256)
            let status = pixels.withUnsafeBufferPointer { buf in
                lrp_png_write(tmp.path, buf.baseAddress, Int32(width), Int32(height), Int32(channels), &message, message.count)
            }
            if status != LRP_OK.rawValue {
                throw LRPError("cannot write \(url.path): \(String(cString: message))")
            }
        }
    }
}
