import LRPCore

/// Spreads descriptor-level relevance onto the image's pixel grid (docs/DESIGN.md §4), conserving it.
///
/// Geometry (0-based pixels): a descriptor with frame centre (x, y) and bin size b has its
/// spatial bin (bx, by), bx, by ∈ 0…3, centred at pixel (cx, cy) = (x + (bx − 1.5)·b,
/// y + (by − 1.5)·b) (an integer for PHOW frames). The bin covers the b×b block of columns
/// cx − ⌊b/2⌋ … cx − ⌊b/2⌋ + b − 1 (rows alike): neighbouring bins tile without gaps or
/// overlap, and for even b the block's centre lies half a pixel up-left of (cx, cy). The
/// descriptor's support is the union of its 16 blocks, a 4b×4b square.
///
/// Conservation: where a block (or support) reaches past the image border, its relevance is
/// spread evenly over the part inside the image, so nothing is lost and each map sums to the
/// relevance it spreads. (A block entirely outside the image — impossible for PHOW frames,
/// whose bin centres are inside — puts its relevance on the nearest image pixel.)
public enum RelevanceSpreading {
    /// Bin resolution: `binRelevance` is `count × 16` (bin index bx + 4·by); frames `count × 4`.
    public static func binMap(frames: [Float], binRelevance: [Float], count: Int, width: Int, height: Int) -> NDArray {
        var acc = RectangleAccumulator(width: width, height: height)
        for l in 0..<count {
            let (x, y, b) = (Double(frames[4 * l]), Double(frames[4 * l + 1]), Int(frames[4 * l + 2].rounded()))
            for by in 0..<4 {
                for bx in 0..<4 {
                    let cx = Int((x + (Double(bx) - 1.5) * Double(b)).rounded())
                    let cy = Int((y + (Double(by) - 1.5) * Double(b)).rounded())
                    let x0 = cx - b / 2, y0 = cy - b / 2
                    acc.add(Double(binRelevance[l * 16 + bx + 4 * by]), x0: x0, y0: y0, x1: x0 + b - 1, y1: y0 + b - 1)
                }
            }
        }
        return acc.map()
    }

    /// Descriptor resolution: each R_l spread evenly over its 4b×4b support.
    public static func descriptorMap(frames: [Float], relevance: [Float], count: Int, width: Int, height: Int) -> NDArray {
        var acc = RectangleAccumulator(width: width, height: height)
        for l in 0..<count {
            let (x, y, b) = (Double(frames[4 * l]), Double(frames[4 * l + 1]), Int(frames[4 * l + 2].rounded()))
            let cx0 = Int((x - 1.5 * Double(b)).rounded()), cy0 = Int((y - 1.5 * Double(b)).rounded())
            let x0 = cx0 - b / 2, y0 = cy0 - b / 2
            acc.add(Double(relevance[l]), x0: x0, y0: y0, x1: x0 + 4 * b - 1, y1: y0 + 4 * b - 1)
        }
        return acc.map()
    }
}

/// Sums of uniformly spread rectangle values through a 2-D difference array (double precision):
/// O(1) per rectangle, O(pixels) to read out.
struct RectangleAccumulator {
    let width: Int, height: Int
    private var diff: [Double]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        diff = [Double](repeating: 0, count: (width + 1) * (height + 1))
    }

    /// Spreads `value` evenly over the inclusive rectangle clipped to the image.
    mutating func add(_ value: Double, x0: Int, y0: Int, x1: Int, y1: Int) {
        guard value != 0, width > 0, height > 0 else { return }
        var (a, b, c, d) = (max(0, x0), max(0, y0), min(width - 1, x1), min(height - 1, y1))
        if a > c || b > d { // wholly outside: nearest pixel
            a = min(max(x0, 0), width - 1); c = a
            b = min(max(y0, 0), height - 1); d = b
        }
        let v = value / Double((c - a + 1) * (d - b + 1))
        let w1 = width + 1
        diff[b * w1 + a] += v
        diff[b * w1 + c + 1] -= v
        diff[(d + 1) * w1 + a] -= v
        diff[(d + 1) * w1 + c + 1] += v
    }

    func map() -> NDArray {
        var out = [Float](repeating: 0, count: width * height)
        var row = [Double](repeating: 0, count: width + 1)
        let w1 = width + 1
        for y in 0..<height {
            var run = 0.0
            for x in 0..<width {
                row[x] += diff[y * w1 + x]
                run += row[x]
                out[y * width + x] = Float(run)
            }
        }
        return NDArray(shape: [height, width], data: out)
    }
}
