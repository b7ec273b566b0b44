/// Colour maps symmetric around zero relevance (docs/DESIGN.md §5).
public enum Colormap: String, CaseIterable, Sendable {
    /// The papers' map: negative dark blue → cyan → neutral green at zero → yellow → dark red
    /// at the largest positive value (MATLAB/matplotlib `jet` centred on zero).
    case lrp
    /// Blue (negative) → white (zero) → red (positive).
    case bwr

    /// Colour for `v` in [-1, 1] (clamped), as 8-bit RGB.
    public func color(_ v: Float) -> (UInt8, UInt8, UInt8) {
        let x = max(-1, min(1, v.isFinite ? v : 0))
        switch self {
        case .lrp:
            // jet(t) for t in [0,1]: piecewise-linear ramps of the three channels.
            let t = (x + 1) / 2
            func ramp(_ center: Float) -> Float { max(0, min(1, 1.5 - abs(4 * t - center))) }
            return (byte(ramp(3)), byte(ramp(2)), byte(ramp(1)))
        case .bwr:
            if x >= 0 { return (255, byte(1 - x), byte(1 - x)) }
            return (byte(1 + x), byte(1 + x), 255)
        }
    }

    private func byte(_ f: Float) -> UInt8 { UInt8(max(0, min(255, (f * 255).rounded()))) }
}
