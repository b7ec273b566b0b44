/// The byte a float sample is written as: `UInt8(max(0, min(255, v.rounded())))` (NaN gives
/// 255, as that expression does), computed without `rounded()`, which is a libm call (roundf)
/// on baseline x86-64. The per-pixel loops of the heatmap, the overlay and `Image.bytes()`
/// spent about a third of their time in it.
@inline(__always)
func roundedByte(_ v: Float) -> UInt8 {
    if v.isNaN { return 255 }
    if v <= 0 { return 0 }
    if v >= 255 { return 255 }
    // 0 < v < 255: truncation, then half away from zero (v − t is exact)
    let t = Int32(v)
    return UInt8(truncatingIfNeeded: v - Float(t) >= 0.5 ? t + 1 : t)
}
