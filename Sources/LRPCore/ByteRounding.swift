/// The byte a float sample is written as: `UInt8(max(0, min(255, v.rounded()))`, NaN giving 255
/// as that expression does, computed without `rounded()`, which is a libm call (roundf) on
/// baseline x86-64. Adding and subtracting 2^23 rounds to the nearest integer, ties to even;
/// a tie that went down is then moved up (`rounded()` takes ties away from zero). About a
/// quarter faster than roundf in the heatmap's colour loop; exact (OutputTests).
@inline(__always)
func roundedByte(_ v: Float) -> UInt8 {
    if v.isNaN { return 255 }
    if v <= 0 { return 0 }
    if v >= 255 { return 255 }
    let even = (v + 8_388_608) - 8_388_608  // 0 < v < 255: both steps exact but the rounding
    let r = v - even == 0.5 ? even + 1 : even
    return UInt8(truncatingIfNeeded: Int32(r))
}
