import LRPCore

/// Pillow's bilinear resize of 8-bit pictures (`Image.resize(size, BILINEAR)` on an RGB image,
/// which torchvision's `Resize` calls): separable, horizontal pass first, fixed-point weights
/// with 22 fractional bits, and each pass rounded and clipped to bytes. Reproducing the byte
/// rounding of the intermediate pass makes the model input equal torchvision's, not just close.
enum PILResize {
    static let precisionBits = 32 - 8 - 2

    /// Per output index: the first input index and the fixed-point weights (Pillow's
    /// `precompute_coeffs` with the triangle filter, then `normalize_coeffs_8bpc`).
    static func coefficients(from inSize: Int, to outSize: Int) -> [(start: Int, weights: [Int])] {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale
        let one = Double(1 << precisionBits)
        return (0..<outSize).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5))            // C cast: truncation
            let hi = min(inSize, Int(center + support + 0.5))
            var w: [Double] = []
            for x in lo..<max(lo, hi) {
                let t = abs((Double(x) - center + 0.5) / filterScale)
                w.append(t < 1 ? 1 - t : 0)
            }
            let total = w.reduce(0, +)
            let fixed = w.map { v -> Int in
                let k = total != 0 ? v / total : 0
                return k < 0 ? Int(-0.5 + k * one) : Int(0.5 + k * one)
            }
            return (lo, fixed)
        }
    }

    private static func clip8(_ v: Int) -> Float {
        if v <= 0 { return 0 }
        let shifted = v >> precisionBits
        return Float(min(255, shifted))
    }

    /// Resizes a picture whose samples are bytes (0...255 integers).
    static func resize(_ image: Image, width w: Int, height h: Int) -> Image {
        let c = image.channels
        let horizontal = coefficients(from: image.width, to: w)
        let vertical = coefficients(from: image.height, to: h)
        let half = 1 << (precisionBits - 1)
        let src = image.pixels.map { Int($0) }
        var tmp = [Int](repeating: 0, count: image.height * w * c)
        for y in 0..<image.height {
            for x in 0..<w {
                let (start, k) = horizontal[x]
                for ch in 0..<c {
                    var s = half
                    for (j, kj) in k.enumerated() { s += src[(y * image.width + start + j) * c + ch] * kj }
                    tmp[(y * w + x) * c + ch] = Int(clip8(s))
                }
            }
        }
        var out = [Float](repeating: 0, count: h * w * c)
        for y in 0..<h {
            let (start, k) = vertical[y]
            for x in 0..<w {
                for ch in 0..<c {
                    var s = half
                    for (j, kj) in k.enumerated() { s += tmp[((start + j) * w + x) * c + ch] * kj }
                    out[(y * w + x) * c + ch] = clip8(s)
                }
            }
        }
        return Image(width: w, height: h, channels: c, pixels: out)
    }
}
