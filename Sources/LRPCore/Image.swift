import CKernels
import Foundation

/// A decoded picture: interleaved (HWC) float samples on the 0...255 scale, 1 (grey) or 3
/// (RGB) channels. Decoding is done in C (libjpeg/libpng with setjmp error recovery).
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `height * width * channels` samples, row-major, channel fastest, 0...255.
    public var pixels: [Float]

    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition(channels == 1 || channels == 3 || channels == 4)
        precondition(pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Loads a JPEG or PNG file.
    /// - Throws: `LRPError` with the path and the decoder's reason (missing, corrupt, unsupported).
    public static func load(_ url: URL) throws -> Image {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw LRPError("\(url.path): no such file")
        }
        if isDir.boolValue { throw LRPError("\(url.path): is a directory, not an image") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw LRPError("\(url.path): cannot read the file") }
        do { return try decode(data) } catch let e as LRPError {
            throw LRPError("\(url.path): \(e.message)")
        }
    }

    /// Decodes JPEG or PNG bytes.
    public static func decode(_ data: Data) throws -> Image {
        var message = [CChar](repeating: 0, count: 256)
        let bytes = [UInt8](data)
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        let infoStatus = bytes.withUnsafeBufferPointer { buf in
            lrp_image_info(buf.baseAddress, buf.count, &w, &h, &c, &message, message.count)
        }
        guard infoStatus == LRP_OK.rawValue else { throw decodeError(infoStatus, message) }
        guard w > 0, h > 0, Int(w) * Int(h) <= 1 << 28 else {
            throw LRPError("corrupt image: implausible size \(w)x\(h)")
        }
        var raw = [UInt8](repeating: 0, count: Int(w) * Int(h) * Int(c))
        let status = bytes.withUnsafeBufferPointer { buf in
            raw.withUnsafeMutableBufferPointer { out in
                lrp_image_decode(buf.baseAddress, buf.count, out.baseAddress, out.count, &message, message.count)
            }
        }
        guard status == LRP_OK.rawValue else { throw decodeError(status, message) }
        return Image(width: Int(w), height: Int(h), channels: Int(c), pixels: raw.map(Float.init))
    }

    private static func decodeError(_ status: Int32, _ message: [CChar]) -> LRPError {
        let reason = String(cString: message)
        switch status {
        case LRP_E_UNSUPPORTED.rawValue: return LRPError("unsupported image: \(reason)")
        default: return LRPError("corrupt image: \(reason.isEmpty ? "cannot decode" : reason)")
        }
    }

    /// Three-channel version (grey replicated; an alpha channel dropped).
    public func rgb() -> Image {
        switch channels {
        case 3: return self
        case 1:
            var out = [Float](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) { out[3 * i] = pixels[i]; out[3 * i + 1] = pixels[i]; out[3 * i + 2] = pixels[i] }
            return Image(width: width, height: height, channels: 3, pixels: out)
        default:
            var out = [Float](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) { for k in 0..<3 { out[3 * i + k] = pixels[4 * i + k] } }
            return Image(width: width, height: height, channels: 3, pixels: out)
        }
    }

    /// Grey levels with MATLAB's `rgb2gray` weights (0.2989 R + 0.5870 G + 0.1140 B), as
    /// VLFeat's `vl_phow` computes them. `roundToBytes` reproduces `rgb2gray` on uint8 images,
    /// which rounds the result to integers.
    public func grey(roundToBytes: Bool = true) -> Image {
        if channels == 1 { return self }
        var out = [Float](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            let r = Double(pixels[channels * i]), g = Double(pixels[channels * i + 1]), b = Double(pixels[channels * i + 2])
            let v = 0.298936021293775 * r + 0.587043074451121 * g + 0.114020904255103 * b
            out[i] = Float(roundToBytes ? v.rounded() : v)
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }

    /// Samples rounded and clamped to bytes, HWC.
    public func bytes() -> [UInt8] {
        pixels.map { UInt8(max(0, min(255, $0.rounded()))) }
    }

    /// Planar (CHW) copy of the samples.
    public func planar() -> [Float] {
        var out = [Float](repeating: 0, count: pixels.count)
        let plane = width * height
        for i in 0..<plane { for c in 0..<channels { out[c * plane + i] = pixels[i * channels + c] } }
        return out
    }

    /// A rectangular part of the image; the rectangle must lie inside it.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
        precondition(x >= 0 && y >= 0 && x + w <= width && y + h <= height)
        var out = [Float](repeating: 0, count: w * h * channels)
        for row in 0..<h {
            let src = ((y + row) * width + x) * channels
            out.replaceSubrange(row * w * channels..<(row + 1) * w * channels, with: pixels[src..<src + w * channels])
        }
        return Image(width: w, height: h, channels: channels, pixels: out)
    }

    /// Resampled to `w`×`h` with a triangle (bilinear) filter whose support widens by the
    /// scale factor when shrinking (antialiasing), as PIL's `Image.resize(BILINEAR)` and hence
    /// torchvision's `Resize` do. Samples stay unrounded floats.
    public func resized(width w: Int, height h: Int) -> Image {
        if w == width && h == height { return self }
        let horizontal = Resampler(from: width, to: w)
        let vertical = Resampler(from: height, to: h)
        // Horizontal pass: height × w × channels.
        var tmp = [Float](repeating: 0, count: height * w * channels)
        for y in 0..<height {
            for x in 0..<w {
                let (start, weights) = horizontal.taps[x]
                for c in 0..<channels {
                    var acc: Float = 0
                    for (k, wt) in weights.enumerated() { acc += wt * pixels[(y * width + start + k) * channels + c] }
                    tmp[(y * w + x) * channels + c] = acc
                }
            }
        }
        var out = [Float](repeating: 0, count: h * w * channels)
        for y in 0..<h {
            let (start, weights) = vertical.taps[y]
            for x in 0..<w {
                for c in 0..<channels {
                    var acc: Float = 0
                    for (k, wt) in weights.enumerated() { acc += wt * tmp[((start + k) * w + x) * channels + c] }
                    out[(y * w + x) * channels + c] = acc
                }
            }
        }
        return Image(width: w, height: h, channels: channels, pixels: out)
    }
}

/// Filter taps for one axis of a resize (PIL's precompute_coeffs with the bilinear filter).
private struct Resampler {
    /// For each output index: first input index and the normalised weights.
    var taps: [(Int, [Float])]

    init(from inSize: Int, to outSize: Int) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale
        taps = (0..<outSize).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int((center - support + 0.5).rounded(.down)))
            let hi = min(inSize, Int((center + support + 0.5).rounded(.down)))
            var ws: [Double] = []
            for j in lo..<max(lo + 1, hi) {
                let t = abs((Double(j) - center + 0.5) / filterScale)
                ws.append(max(0, 1 - t))
            }
            let total = ws.reduce(0, +)
            return (lo, ws.map { Float(total > 0 ? $0 / total : 0) })
        }
    }
}
