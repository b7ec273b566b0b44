import CKernels
import CVLFeat
import Foundation
import LRPCore
@testable import FisherVectors

/// Shared helpers of the Fisher-vector kernel tests: a seeded generator, sample photographs,
/// synthetic images and GMMs, and VLFeat calls.
enum FVKernelTestSupport {
    struct RNG {
        var state: UInt64
        init(_ seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func gauss() -> Double { (-2 * log(max(1e-300, uniform()))).squareRoot() * cos(2 * .pi * uniform()) }
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The committed sample photographs (Samples/*.jpg) as grey levels in [0, 1]. They ship with
    /// the repository, so a missing folder or photograph is an error, not a reason to skip.
    static func samplePhotographs() throws -> [(name: String, width: Int, height: Int, grey: [Float])] {
        let dir = repositoryRoot.appendingPathComponent("Samples")
        // A fixed list, not Samples/*.jpg: the VLFeat cross-checks give each photograph its own
        // bin size and step by position, so a new sample must not silently change what is compared.
        let names = ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg"]
        for name in names where !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) {
            throw LRPError("the committed sample photograph \(dir.path)/\(name) is missing")
        }
        return try names.map { name in
            let image = try Image.load(dir.appendingPathComponent(name))
            return (name, image.width, image.height, DenseSIFT.unitGrey(image))
        }
    }

    /// A row-major crop of a grey image.
    static func crop(_ grey: [Float], width: Int, x: Int, y: Int, w: Int, h: Int) -> [Float] {
        var out = [Float](repeating: 0, count: w * h)
        for r in 0..<h { for c in 0..<w { out[r * w + c] = grey[(y + r) * width + x + c] } }
        return out
    }

    /// A synthetic grey image in [0, 1]: smooth blobs, a bright rectangle, a ramp and noise.
    static func syntheticImage(width: Int, height: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed)
        let blobs = (0..<6).map { _ in (rng.uniform() * Double(width), rng.uniform() * Double(height),
                                        3 + rng.uniform() * Double(min(width, height)) / 3, rng.uniform() - 0.5) }
        let rx = Int(rng.uniform() * Double(width / 2)), ry = Int(rng.uniform() * Double(height / 2))
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var v = 0.3 + 0.2 * Double(x) / Double(width)
                for (cx, cy, s, a) in blobs {
                    let d2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
                    v += a * exp(-d2 / (2 * s * s))
                }
                if x >= rx && x < rx + width / 3 && y >= ry && y < ry + height / 4 { v += 0.25 }
                v += 0.03 * rng.gauss()
                out[y * width + x] = Float(min(1, max(0, v)))
            }
        }
        return out
    }

    /// A diagonal GMM with PCA-like decaying scales and data drawn from it (`spread` widens the
    /// components relative to the spacing of the means, i.e. makes posteriors less sparse).
    static func syntheticGMM(n: Int, d: Int, k: Int, spread: Double, seed: UInt64) -> (GMMParameters, [Float]) {
        var rng = RNG(seed)
        var means = [Float](repeating: 0, count: k * d), cov = means, priors = [Float](repeating: 0, count: k)
        for c in 0..<k {
            priors[c] = Float(0.2 + rng.uniform())
            for i in 0..<d {
                let s = 50 / (1 + Double(i)).squareRoot()
                means[c * d + i] = Float(s * rng.gauss())
                cov[c * d + i] = Float(spread * s * s * (0.5 + rng.uniform()))
            }
        }
        let total = priors.reduce(0, +)
        priors = priors.map { $0 / total }
        var data = [Float](repeating: 0, count: n * d)
        for l in 0..<n {
            let c = Int(rng.next() % UInt64(k))
            for i in 0..<d {
                data[l * d + i] = means[c * d + i] + Float(1.3 * Double(cov[c * d + i]).squareRoot() * rng.gauss())
            }
        }
        return (GMMParameters(dimension: d, clusters: k, means: means, covariances: cov, priors: priors), data)
    }

    /// Runs `body` once with the AVX2 paths (where the CPU has them) and once with the portable ones.
    static func onBothPaths(_ body: (String) throws -> Void) rethrows {
        defer { lrp_cpu_disable_simd(0) }
        lrp_cpu_disable_simd(0)
        try body(lrp_cpu_has_avx2_fma() != 0 ? "avx2" : "portable")
        lrp_cpu_disable_simd(1)
        try body("portable")
    }

    // MARK: VLFeat

    struct VLDsift {
        var frames: [(x: Double, y: Double, norm: Double)]
        var descriptors: [Float]
        /// VLFeat's own gradient planes (8 × height × width) after processing.
        var gradients: [Float]
    }

    static func vlDsift(_ image: [Float], width: Int, height: Int, binSize: Int, step: Int, fast: Bool,
                        windowSize: Double, bounds: (Int, Int, Int, Int)? = nil, wantGradients: Bool = false) -> VLDsift {
        let f = vl_dsift_new_basic(Int32(width), Int32(height), Int32(step), Int32(binSize))!
        defer { vl_dsift_delete(f) }
        vl_dsift_set_flat_window(f, fast ? 1 : 0)
        vl_dsift_set_window_size(f, windowSize)
        if let b = bounds { vl_dsift_set_bounds(f, Int32(b.0), Int32(b.1), Int32(b.2), Int32(b.3)) }
        image.withUnsafeBufferPointer { vl_dsift_process(f, $0.baseAddress) }
        let n = Int(vl_dsift_get_keypoint_num(f))
        let kp = vl_dsift_get_keypoints(f)!
        let d = vl_dsift_get_descriptors(f)!
        var grads: [Float] = []
        if wantGradients {
            for t in 0..<8 {
                grads += Array(UnsafeBufferPointer(start: f.pointee.grads[t]!, count: width * height))
            }
        }
        return VLDsift(frames: (0..<n).map { (kp[$0].x, kp[$0].y, kp[$0].norm) },
                       descriptors: Array(UnsafeBufferPointer(start: d, count: n * 128)), gradients: grads)
    }

    /// VLFeat's float Gaussian taps of MATLAB `vl_imsmooth` (toolbox/imop/vl_imsmooth.c),
    /// written out independently of the kernel.
    static func matlabSmoothTaps(sigma: Double) -> [Float] {
        let w = Int(ceil(4 * sigma))
        var taps = [Float](repeating: 0, count: 2 * w + 1)
        var acc: Float = 0
        for j in 0..<(2 * w + 1) {
            let offset: Float = Float(j) - Float(w)
            let z = Float(Double(offset) / (sigma + Double(Float.ulpOfOne)))
            let zz: Float = z * z
            taps[j] = Float(exp(-0.5 * Double(zz)))
            acc += taps[j]
        }
        return taps.map { $0 / acc }
    }

    /// Separable smoothing by VLFeat's own column convolution (as vl_imsmooth does it).
    static func vlSmooth(_ image: [Float], width: Int, height: Int, taps: [Float]) -> [Float] {
        let r = (taps.count - 1) / 2
        var tmp = [Float](repeating: 0, count: width * height), out = tmp
        let flags: UInt32 = 0x1 | 0x4 // VL_PAD_BY_CONTINUITY | VL_TRANSPOSE
        image.withUnsafeBufferPointer { im in
            tmp.withUnsafeMutableBufferPointer { t in
                taps.withUnsafeBufferPointer { k in
                    vl_imconvcol_vf(t.baseAddress, vl_size(height), im.baseAddress, vl_size(width), vl_size(height),
                                    vl_size(width), k.baseAddress, vl_index(-r), vl_index(r), 1, flags)
                }
            }
        }
        tmp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                taps.withUnsafeBufferPointer { k in
                    vl_imconvcol_vf(o.baseAddress, vl_size(width), t.baseAddress, vl_size(height), vl_size(width),
                                    vl_size(height), k.baseAddress, vl_index(-r), vl_index(r), 1, flags)
                }
            }
        }
        return out
    }
}
