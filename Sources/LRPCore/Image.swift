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
    /// For a picture reduced while decoding: the whole original picture's extent in this
    /// image's pixels (original size / reduction factor; the last row and column of boxes may
    /// be partial), so that a resize can map coordinates as for the original. Nil otherwise.
    public var extentWidth: Double?
    public var extentHeight: Double?

    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition(channels == 1 || channels == 3 || channels == 4)
        precondition(pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Largest picture accepted, in pixels (width × height from the header, checked before
    /// anything is allocated). DESIGN §5.3.
    public static let maxPixels = 1 << 28
    /// Largest intermediate a reduced decode may produce, in pixels (only elongated pictures
    /// fitted with their aspect ratio kept can reach it).
    public static let maxReducedPixels = 1 << 24
    /// Reduction while decoding starts when the picture is at least this many times the size
    /// the consumer needs, so ordinary photographs decode exactly as before.
    public static let reductionThreshold = 4.0

    /// What a consumer needs of a picture: a decode may shrink it while each side stays at least
    /// `width` × `height` (`keepAspect`: both sides by the same factor).
    public struct Need: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var keepAspect: Bool
        public init(width: Int, height: Int, keepAspect: Bool) {
            self.width = width
            self.height = height
            self.keepAspect = keepAspect
        }
    }

    /// How a picture is reduced while decoding: JPEG DCT scaling 1/`scaleDenom`, then boxes.
    public struct Reduction: Sendable, Equatable {
        public var scaleDenom = 1
        public var boxX = 1
        public var boxY = 1
        public static let none = Reduction()
    }

    /// The reduction for a `width`×`height` picture: none below `reductionThreshold`× the need;
    /// above it JPEGs get Pillow's draft() scale (largest 1/8, 1/4, 1/2 with the result ≥ need),
    /// then integer boxes keep the result ≥ need.
    public static func reduction(width: Int, height: Int, isJPEG: Bool, need: Need) -> Reduction {
        let t = reductionThreshold
        var r = Reduction()
        func ratios(_ w: Int, _ h: Int) -> (Double, Double) {
            let rx = Double(w) / Double(max(1, need.width)), ry = Double(h) / Double(max(1, need.height))
            return need.keepAspect ? (min(rx, ry), min(rx, ry)) : (rx, ry)
        }
        var (rx, ry) = ratios(width, height)
        if isJPEG && min(rx, ry) >= t {
            let scale = min(width / max(1, need.width), height / max(1, need.height))  // Pillow's draft()
            r.scaleDenom = [8, 4, 2, 1].first { scale >= $0 }!
            (rx, ry) = ratios((width + r.scaleDenom - 1) / r.scaleDenom, (height + r.scaleDenom - 1) / r.scaleDenom)
        }
        if rx >= t { r.boxX = Int(rx.rounded(.down)) }
        if ry >= t { r.boxY = Int(ry.rounded(.down)) }
        return r
    }

    /// Width, height and channels from the header only.
    public static func info(_ data: Data) throws -> (width: Int, height: Int, channels: Int) {
        var message = [CChar](repeating: 0, count: 256)
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        let status = data.withUnsafeBytes { buf in
            lrp_image_info(buf.bindMemory(to: UInt8.self).baseAddress, buf.count, &w, &h, &c, &message, message.count)
        }
        guard status == LRP_OK.rawValue else { throw decodeError(status, message) }
        guard w > 0, h > 0 else { throw LRPError("corrupt image: implausible size \(w)x\(h)") }
        return (Int(w), Int(h), Int(c))
    }

    static func read(_ url: URL) throws -> Data {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw LRPError("\(url.path): no such file")
        }
        if isDir.boolValue { throw LRPError("\(url.path): is a directory, not an image") }
        do { return try Data(contentsOf: url) } catch { throw LRPError("\(url.path): cannot read the file") }
    }

    /// Width, height and channels of a JPEG or PNG file, from its header.
    public static func info(_ url: URL) throws -> (width: Int, height: Int, channels: Int) {
        let data = try read(url)
        do { return try info(data) } catch let e as LRPError { throw LRPError("\(url.path): \(e.message)") }
    }

    /// Loads a JPEG or PNG file, reduced while decoding when `need` allows (see `reduction`).
    /// - Throws: `LRPError` with the path and the decoder's reason (missing, corrupt, unsupported,
    ///   larger than `maxPixels`).
    public static func load(_ url: URL, need: Need? = nil, maxPixels: Int = Image.maxPixels) throws -> Image {
        let data = try read(url)
        do { return try decode(data, need: need, maxPixels: maxPixels) } catch let e as LRPError {
            throw LRPError("\(url.path): \(e.message)")
        }
    }

    /// Decodes JPEG or PNG bytes (reduced while decoding when `need` allows).
    public static func decode(_ data: Data, need: Need? = nil, maxPixels: Int = Image.maxPixels) throws -> Image {
        Image(try ByteImage.decode(data, need: need, maxPixels: maxPixels))
    }

    /// The float version of a byte picture (same size, extent and samples).
    public init(_ picture: ByteImage) {
        self.init(width: picture.width, height: picture.height, channels: picture.channels,
                  pixels: picture.bytes.map(Float.init))
        (extentWidth, extentHeight) = (picture.extentWidth, picture.extentHeight)
    }

    static func decodeError(_ status: Int32, _ message: [CChar]) -> LRPError {
        let reason = String(cString: message)
        switch status {
        case LRP_E_UNSUPPORTED.rawValue: return LRPError("unsupported image: \(reason)")
        case LRP_E_NOMEM.rawValue: return LRPError("cannot decode the image: \(reason.isEmpty ? "out of memory" : reason)")
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
            var image = Image(width: width, height: height, channels: 3, pixels: out)
            (image.extentWidth, image.extentHeight) = (extentWidth, extentHeight)
            return image
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
        pixels.map(roundedByte)
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
        if w == width && h == height && extentWidth == nil && extentHeight == nil { return self }
        let horizontal = Resampler(from: width, to: w, extent: extentWidth)
        let vertical = Resampler(from: height, to: h, extent: extentHeight)
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

    /// `extent`: see `Image.extentWidth` (nil: `inSize`).
    init(from inSize: Int, to outSize: Int, extent: Double? = nil) {
        let scale = (extent ?? Double(inSize)) / Double(outSize)
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
