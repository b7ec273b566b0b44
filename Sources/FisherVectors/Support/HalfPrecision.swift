import CKernels

/// float32 ⇄ IEEE binary16 conversion through the C helpers (F16C when available).
public enum HalfPrecision {
    public static func encode(_ values: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                lrp_half_from_float(src.baseAddress, dst.baseAddress, src.count)
            }
        }
        return out
    }

    public static func decode(_ halves: [UInt16]) -> [Float] {
        var out = [Float](repeating: 0, count: halves.count)
        halves.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                lrp_half_to_float(src.baseAddress, dst.baseAddress, src.count)
            }
        }
        return out
    }
}
