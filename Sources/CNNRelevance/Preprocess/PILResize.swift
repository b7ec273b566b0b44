import LRPCore

/// Pillow's bilinear resize of 8-bit pictures (`Image.resize(size, BILINEAR)` on an RGB image,
/// which torchvision's `Resize` calls): separable, horizontal pass first, fixed-point weights
/// with 22 fractional bits, and each pass rounded and clipped to bytes. Reproducing the byte
/// rounding of the intermediate pass makes the model input equal torchvision's, not just close.
enum PILResize {
    static let precisionBits = 32 - 8 - 2

    /// Per output index: the first input index and the fixed-point weights (Pillow's
    /// `precompute_coeffs` with the triangle filter, then `normalize_coeffs_8bpc`).
    /// `extent`: the input's extent in its pixels when it is a reduced picture (Pillow's
    /// resize `box` (0, extent)); nil: `inSize`.
    static func coefficients(from inSize: Int, to outSize: Int, range: Range<Int>? = nil, extent: Double? = nil) -> [(start: Int, weights: [Int])] {
        let scale = (extent ?? Double(inSize)) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale
        let one = Double(1 << precisionBits)
        return (range ?? 0..<outSize).map { i in
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

    /// Resizes a picture whose samples are bytes (0...255 integers). `crop` (x, y, width, height
    /// in the resized grid) computes only that part: the same values, without the whole
    /// resized picture.
    static func resize(_ image: Image, width w: Int, height h: Int,
                       crop: (x: Int, y: Int, width: Int, height: Int)? = nil) -> Image {
        let c = image.channels
        let box = crop ?? (0, 0, w, h)
        let horizontal = coefficients(from: image.width, to: w, range: box.x..<(box.x + box.width), extent: image.extentWidth)
        let vertical = coefficients(from: image.height, to: h, range: box.y..<(box.y + box.height), extent: image.extentHeight)
        let half = 1 << (precisionBits - 1)
        let cw = box.width, ch = box.height
        // Horizontal pass only over the source rows the vertical pass reads.
        let rowLo = vertical.first.map(\.start) ?? 0
        let rowHi = vertical.map { $0.start + $0.weights.count }.max() ?? 0
        var tmp = [Int](repeating: 0, count: max(0, rowHi - rowLo) * cw * c)
        image.pixels.withUnsafeBufferPointer { src in
            for y in rowLo..<max(rowLo, rowHi) {
                for x in 0..<cw {
                    let (start, k) = horizontal[x]
                    for k0 in 0..<c {
                        var s = half
                        for (j, kj) in k.enumerated() { s += Int(src[(y * image.width + start + j) * c + k0]) * kj }
                        tmp[((y - rowLo) * cw + x) * c + k0] = Int(clip8(s))
                    }
                }
            }
        }
        var out = [Float](repeating: 0, count: ch * cw * c)
        for y in 0..<ch {
            let (start, k) = vertical[y]
            for x in 0..<cw {
                for k0 in 0..<c {
                    var s = half
                    for (j, kj) in k.enumerated() { s += tmp[((start - rowLo + j) * cw + x) * c + k0] * kj }
                    out[(y * cw + x) * c + k0] = clip8(s)
                }
            }
        }
        return Image(width: cw, height: ch, channels: c, pixels: out)
    }
}
