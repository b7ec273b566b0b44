import CKernels
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

    /// Resizes a byte picture. `crop` (x, y, width, height in the resized grid) computes only
    /// that part: the same values, without the whole resized picture. The passes run in C
    /// (`lrp_resize_u8`); the result is returned as floats (whole numbers 0...255).
    static func resize(_ image: ByteImage, width w: Int, height h: Int,
                       crop: (x: Int, y: Int, width: Int, height: Int)? = nil) -> Image {
        let c = image.channels
        let box = crop ?? (0, 0, w, h)
        let horizontal = Taps(coefficients(from: image.width, to: w, range: box.x..<(box.x + box.width), extent: image.extentWidth))
        let vertical = Taps(coefficients(from: image.height, to: h, range: box.y..<(box.y + box.height), extent: image.extentHeight))
        let cw = box.width, ch = box.height
        var tmp = [UInt8](repeating: 0, count: max(1, vertical.rowsRead * cw * c))
        var out = [UInt8](repeating: 0, count: ch * cw * c)
        let status = image.bytes.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { tmp in
                out.withUnsafeMutableBufferPointer { dst in
                    lrp_resize_u8(src.baseAddress, Int32(image.width), Int32(image.height), Int32(c),
                                  horizontal.start, horizontal.count, horizontal.weights, Int32(horizontal.taps), Int32(cw),
                                  vertical.start, vertical.count, vertical.weights, Int32(vertical.taps), Int32(ch),
                                  tmp.baseAddress, tmp.count, dst.baseAddress)
                }
            }
        }
        precondition(status == LRP_OK.rawValue, "internal: resize taps outside the picture")
        return Image(width: cw, height: ch, channels: c, pixels: out.map(Float.init))
    }

    /// Coefficients as the flat arrays `lrp_resize_u8` reads: per output index its first input
    /// index, its number of weights, and `taps` weights (zero-padded).
    struct Taps {
        var start: [Int32]
        var count: [Int32]
        var weights: [Int32]
        var taps: Int
        /// How many input rows (or columns) lie between the first and the last one read.
        var rowsRead: Int

        init(_ coefficients: [(start: Int, weights: [Int])]) {
            taps = max(1, coefficients.map(\.weights.count).max() ?? 1)
            start = coefficients.map { Int32($0.start) }
            count = coefficients.map { Int32($0.weights.count) }
            var flat = [Int32](repeating: 0, count: coefficients.count * taps)
            for (i, k) in coefficients.enumerated() {
                for (j, v) in k.weights.enumerated() { flat[i * taps + j] = Int32(v) }
            }
            weights = flat
            let used = coefficients.filter { !$0.weights.isEmpty }
            let lo = used.map(\.start).min() ?? 0, hi = used.map { $0.start + $0.weights.count }.max() ?? 0
            rowsRead = max(0, hi - lo)
        }
    }
}
