/// zennit's stabiliser `x + s·sign(x)` with sign(0) = +1, the one Swift copy of the C kernels'
/// `lrp_stab` (CKernels/src/simd.h): denominators of every LRP rule pass through it.
@inlinable
public func stabilized(_ x: Float, _ s: Float) -> Float { x + (x >= 0 ? s : -s) }
