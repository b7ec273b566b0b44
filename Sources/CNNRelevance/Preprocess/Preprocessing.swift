import Foundation
import LRPCore

/// Pixel normalisation conventions of pretrained CNNs.
public enum PreprocessPreset: String, CaseIterable, Sendable {
    /// torchvision: RGB, scaled to [0, 1], then `(x − mean) / std` per channel.
    case imagenet
    /// Caffe / early Keras: BGR, 0...255, mean subtraction only.
    case caffe

    /// Per channel (in the model's channel order): `input = (pixel − offset) / divisor`, with
    /// pixels on the 0...255 scale.
    var offsets: [Float] {
        switch self {
        case .imagenet: return [0.485 * 255, 0.456 * 255, 0.406 * 255]
        case .caffe: return [103.939, 116.779, 123.68]
        }
    }

    var divisors: [Float] {
        switch self {
        case .imagenet: return [0.229 * 255, 0.224 * 255, 0.225 * 255]
        case .caffe: return [1, 1, 1]
        }
    }

    /// Whether the model's channel order is BGR.
    var isBGR: Bool { self == .caffe }
}

/// How a picture is brought to the model's input size.
public enum ImageFit: String, CaseIterable, Sendable {
    /// Resize to exactly size×size (aspect ratio not kept).
    case resize
    /// torchvision's evaluation transform: shorter side to size·256/224, then a centre crop.
    case center
}

/// Turns pictures into model input tensors and back (for overlays of `--input-npy` inputs), and
/// states the z-box bounds the preset implies (pixel range 0...255 mapped through it).
public struct Preprocessing: Sendable {
    public var preset: PreprocessPreset
    public var height: Int
    public var width: Int
    public var fit: ImageFit

    public init(preset: PreprocessPreset, height: Int, width: Int, fit: ImageFit = .resize) {
        self.preset = preset
        self.height = height
        self.width = width
        self.fit = fit
    }

    public let channels = 3

    /// The picture as the model sees it (RGB, height×width, 0...255): resized or cropped, with
    /// Pillow's 8-bit resampling (what torchvision's transforms do to a decoded JPEG).
    public func fitted(_ image: Image) -> Image {
        fitted(ByteImage(rounding: image))
    }

    /// `fitted` of a picture as the decoder gave it (no float copy of the whole picture).
    public func fitted(_ picture: ByteImage) -> Image {
        let rgb = picture.rgb()
        switch fit {
        case .resize:
            return PILResize.resize(rgb, width: width, height: height)
        case .center:
            // Shorter side to size·256/224 (torchvision Resize(256) for 224), then CenterCrop.
            // torchvision: new_short = size, new_long = int(size * long / short).
            let short = max(height, width) * 256 / 224
            var w = short, h = short
            // a reduced picture keeps the original's proportions in its extent
            let (iw, ih) = (rgb.extentWidth ?? Double(rgb.width), rgb.extentHeight ?? Double(rgb.height))
            if iw > ih { w = Int(Double(short) * iw / ih) }
            if ih > iw { h = Int(Double(short) * ih / iw) }
            w = max(w, width); h = max(h, height)
            // torchvision's CenterCrop offset: int(round((size_in - size_out) / 2)) with Python's
            // round, which rounds halves to even (16.5 → 16). Only the crop is computed.
            let x = Int((Double(w - width) / 2).rounded(.toNearestOrEven))
            let y = Int((Double(h - height) / 2).rounded(.toNearestOrEven))
            return PILResize.resize(rgb, width: w, height: h, crop: (x, y, width, height))
        }
    }

    /// What `fitted` needs of a picture, so that a huge one can be reduced while it is decoded
    /// (DESIGN §5.3): the input size, or for `center` the resized shorter side.
    public var decodeNeed: Image.Need {
        switch fit {
        case .resize: return Image.Need(width: width, height: height, keepAspect: false)
        case .center:
            let short = max(height, width) * 256 / 224
            return Image.Need(width: short, height: short, keepAspect: true)
        }
    }

    /// Loads and fits a picture, reducing a huge one while decoding.
    public func load(_ url: URL) throws -> Image {
        fitted(try ByteImage.load(url, need: decodeNeed))
    }

    /// Planar `[C, H, W]` input of a fitted picture (RGB, height×width).
    public func tensor(fromFitted image: Image) -> [Float] {
        let rgb = image.rgb()
        let n = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * n)
        let off = preset.offsets, div = preset.divisors
        rgb.pixels.withUnsafeBufferPointer { hwc in
            out.withUnsafeMutableBufferPointer { out in
                for c in 0..<3 {
                    // channel c of the model reads picture channel `src` (RGB or BGR)
                    let src = preset.isBGR ? 2 - c : c
                    let (o, d) = (off[c], div[c])
                    for i in 0..<n { out[c * n + i] = (hwc[3 * i + src] - o) / d }
                }
            }
        }
        return out
    }

    /// The picture behind an input tensor `[3, H, W]` (inverse of `tensor`), clamped to 0...255;
    /// used to draw overlays for `--input-npy` inputs.
    public func image(fromTensor t: [Float], height h: Int, width w: Int) -> Image {
        let n = h * w
        var pixels = [Float](repeating: 0, count: 3 * n)
        let off = preset.offsets, div = preset.divisors
        for c in 0..<3 {
            let dst = preset.isBGR ? 2 - c : c
            for i in 0..<n {
                let v = t[c * n + i] * div[c] + off[c]
                pixels[i * 3 + dst] = v.isFinite ? min(255, max(0, v)) : 0
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }

    /// Per-channel bounds of the input (z-box rule): pixels 0 and 255 mapped through the preset.
    public var zBoxLow: [Float] { (0..<3).map { (0 - preset.offsets[$0]) / preset.divisors[$0] } }
    public var zBoxHigh: [Float] { (0..<3).map { (255 - preset.offsets[$0]) / preset.divisors[$0] } }

    public var summary: [String: Any] {
        ["preset": preset.rawValue, "height": height, "width": width, "fit": fit.rawValue]
    }
}
