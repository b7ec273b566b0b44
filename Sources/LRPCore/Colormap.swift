/// Colour maps symmetric around zero relevance (docs/DESIGN.md §5).
public enum Colormap: String, CaseIterable, Sendable {
    /// The papers' map: negative dark blue → cyan → neutral green at zero → yellow → dark red
    /// at the largest positive value (MATLAB/matplotlib `jet` centred on zero).
    case lrp
    /// Blue (negative) → white (zero) → red (positive).
    case bwr

    /// Colour for `v` in [-1, 1] (clamped), as 8-bit RGB.
    public func color(_ v: Float) -> (UInt8, UInt8, UInt8) {
        switch self {
        case .lrp: return Self.jet(v)
        case .bwr: return Self.blueWhiteRed(v)
        }
    }

    /// `color(v / scale)` (or `color(0)` when `scale` is not positive) of every value, as HWC
    /// RGB bytes into `out` (3 per value); the map is chosen once, not per pixel.
    func colors(_ values: UnsafeBufferPointer<Float>, scale: Float, into out: UnsafeMutableBufferPointer<UInt8>) {
        precondition(out.count >= 3 * values.count)
        // one loop per map, so that the colour function is inlined into it
        switch self {
        case .lrp:
            for i in 0..<values.count {
                let (r, g, b) = Self.jet(scale > 0 ? values[i] / scale : 0)
                out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b
            }
        case .bwr:
            for i in 0..<values.count {
                let (r, g, b) = Self.blueWhiteRed(scale > 0 ? values[i] / scale : 0)
                out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b
            }
        }
    }

    @inline(__always)
    private static func clamped(_ v: Float) -> Float { max(-1, min(1, v.isFinite ? v : 0)) }

    /// jet(t) for t = (x + 1) / 2 in [0,1]: piecewise-linear ramps of the three channels.
    @inline(__always)
    private static func jet(_ v: Float) -> (UInt8, UInt8, UInt8) {
        let t = (clamped(v) + 1) / 2
        func ramp(_ center: Float) -> Float { max(0, min(1, 1.5 - abs(4 * t - center))) }
        return (byte(ramp(3)), byte(ramp(2)), byte(ramp(1)))
    }

    @inline(__always)
    private static func blueWhiteRed(_ v: Float) -> (UInt8, UInt8, UInt8) {
        let x = clamped(v)
        if x >= 0 { return (255, byte(1 - x), byte(1 - x)) }
        return (byte(1 + x), byte(1 + x), 255)
    }

    @inline(__always)
    private static func byte(_ f: Float) -> UInt8 { roundedByte(f * 255) }
}
