import CKernels
import LRPCore

/// Which VLFeat Gaussian smoothing to reproduce (they differ in truncation; see lrpkernels.h §3.1).
public enum SmoothingKernel: Int, Sendable {
    case none = 0
    /// C `vl_imsmooth_f`: radius ceil(3σ).
    case vlImsmoothF = 1
    /// MATLAB `vl_imsmooth`, the one `vl_phow` calls: radius ceil(4σ); σ < 0.01 is a copy.
    case matlab = 2
}

public enum GaussianSmoothing {
    /// Separable Gaussian smoothing of a row-major grey image with padding by continuity.
    public static func smooth(_ image: [Float], width: Int, height: Int, sigma: Double,
                              kernel: SmoothingKernel = .matlab) throws -> [Float] {
        guard width > 0, height > 0, image.count == width * height else {
            throw LRPError("smoothing: image of \(image.count) samples is not \(width)×\(height)")
        }
        guard sigma >= 0, sigma.isFinite else { throw LRPError("smoothing: sigma must be non-negative") }
        var out = [Float](repeating: 0, count: image.count)
        let ws = lrp_imsmooth_workspace_size(Int32(width), Int32(height), sigma, Int32(kernel.rawValue))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(ws, 1), alignment: 64)
        defer { buffer.deallocate() }
        let status = out.withUnsafeMutableBufferPointer { o in
            image.withUnsafeBufferPointer { i in
                lrp_imsmooth(o.baseAddress, i.baseAddress, Int32(width), Int32(height), sigma,
                             Int32(kernel.rawValue), buffer, ws)
            }
        }
        try StatusCollector.check(status, "smoothing")
        return out
    }
}
