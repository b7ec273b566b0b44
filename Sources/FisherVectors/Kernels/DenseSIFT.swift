import CKernels
import LRPCore

/// Options of one dense-SIFT scale; the geometry and defaults are VLFeat's `vl_dsift`
/// (C API, 0-based coordinates). See `LrpDsiftParams` in lrpkernels.h §3.2 for the exact
/// sampling grid and bin geometry.
public struct DenseSIFTOptions: Sendable, Equatable {
    public var binSize: Int
    public var step: Int
    /// Inclusive sampling bounds (minX, minY, maxX, maxY), 0-based; nil = the whole image.
    public var bounds: (minX: Int, minY: Int, maxX: Int, maxY: Int)?
    /// Flat window ("fast", vl_phow's default) or Gaussian window.
    public var fast: Bool
    /// Gaussian window std in bins (vl_phow: 1.5, vl_dsift's default: 2).
    public var windowSize: Float
    /// Descriptors with a norm below this are zeroed (vl_phow: 0.005); 0 keeps all.
    public var contrastThreshold: Double
    /// Descriptors on VLFeat MATLAB's scale, min(512·d, 255); false: unit-norm floats.
    public var matlabScale: Bool
    /// Pre-smoothing std in pixels (vl_phow: binSize/6); 0 for none.
    public var smoothSigma: Float
    /// Which VLFeat Gaussian the pre-smoothing reproduces (vl_phow calls MATLAB `vl_imsmooth`).
    public var smoothKernel: SmoothingKernel

    public init(binSize: Int, step: Int, bounds: (minX: Int, minY: Int, maxX: Int, maxY: Int)? = nil,
                fast: Bool = true, windowSize: Float = 2, contrastThreshold: Double = 0,
                matlabScale: Bool = true, smoothSigma: Float = 0, smoothKernel: SmoothingKernel = .matlab) {
        self.binSize = binSize
        self.step = step
        self.bounds = bounds
        self.fast = fast
        self.windowSize = windowSize
        self.contrastThreshold = contrastThreshold
        self.matlabScale = matlabScale
        self.smoothSigma = smoothSigma
        self.smoothKernel = smoothKernel
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.binSize == b.binSize && a.step == b.step && a.fast == b.fast && a.windowSize == b.windowSize
            && a.contrastThreshold == b.contrastThreshold && a.matlabScale == b.matlabScale
            && a.smoothSigma == b.smoothSigma && a.smoothKernel == b.smoothKernel
            && a.bounds?.minX == b.bounds?.minX && a.bounds?.minY == b.bounds?.minY
            && a.bounds?.maxX == b.bounds?.maxX && a.bounds?.maxY == b.bounds?.maxY
    }
}

/// Dense SIFT descriptors with their frames.
public struct DenseSIFTFeatures: Sendable, Equatable {
    /// Number of descriptors.
    public var count: Int
    /// `count × 128` floats, layout `descr[t + 8·(bx + 4·by)]`.
    public var descriptors: [Float]
    /// `count × 4` floats per descriptor: x, y (0-based centre), binSize, norm (contrast).
    /// Spatial bin (bx, by) is centred at (x + (bx − 1.5)·binSize, y + (by − 1.5)·binSize).
    public var frames: [Float]

    public init(count: Int, descriptors: [Float], frames: [Float]) {
        self.count = count
        self.descriptors = descriptors
        self.frames = frames
    }
}

/// Dense SIFT (VLFeat's `vl_dsift`) and its multi-scale PHOW wrapper (`vl_phow`), computed by
/// the C kernels with the frame rows split over the cores.
public enum DenseSIFT {
    /// Grey levels in [0, 1] with MATLAB's rgb2gray weights, as vl_phow receives them from
    /// `im2single` (unrounded, `roundToBytes: false`, is what VLFeat's PHOW demo does).
    public static func unitGrey(_ image: Image, roundToBytes: Bool = false) -> [Float] {
        image.grey(roundToBytes: roundToBytes).pixels.map { $0 / 255 }
    }

    /// One scale of dense SIFT on a row-major grey image.
    /// - Throws: `LRPError` for inconsistent sizes or parameters.
    public static func extract(grey: [Float], width: Int, height: Int, options: DenseSIFTOptions,
                               threads: Int = Parallel.workerCount) throws -> DenseSIFTFeatures {
        try phowLike(grey: grey, width: width, height: height, scales: [options], threads: threads)
    }

    /// VLFeat's `vl_phow` (grey variant): for each bin size, smooth with σ = size/magnif
    /// (MATLAB `vl_imsmooth`'s kernel), align descriptor centres across scales with the bounds
    /// offset floor(1.5·(max size − size)) (0-based), dense SIFT with window size 1.5, zero the
    /// descriptors whose norm is below `contrastThreshold`; scales concatenated in `sizes` order.
    /// - Parameter grey: row-major grey levels in [0, 1] (see `unitGrey`).
    public static func phow(grey: [Float], width: Int, height: Int, sizes: [Int] = [4, 6, 8, 10],
                            step: Int = 3, fast: Bool = true, magnif: Float = 6, windowSize: Float = 1.5,
                            contrastThreshold: Double = 0.005, matlabScale: Bool = true,
                            threads: Int = Parallel.workerCount) throws -> DenseSIFTFeatures {
        guard let maxSize = sizes.max(), sizes.allSatisfy({ $0 > 0 }) else { throw LRPError("PHOW: bin sizes must be positive") }
        guard magnif > 0 else { throw LRPError("PHOW: magnification must be positive") }
        let scales = sizes.map { size -> DenseSIFTOptions in
            let off = Int((1.5 * Double(maxSize - size)).rounded(.down))
            return DenseSIFTOptions(binSize: size, step: step, bounds: (off, off, width - 1, height - 1), fast: fast,
                                    windowSize: windowSize, contrastThreshold: contrastThreshold,
                                    matlabScale: matlabScale, smoothSigma: Float(size) / magnif, smoothKernel: .matlab)
        }
        return try phowLike(grey: grey, width: width, height: height, scales: scales, threads: threads)
    }

    /// Several scales into one pre-sized output (no concatenation copies, no zero-filling:
    /// the kernel writes every element); each scale's frame rows are split over the threads.
    static func phowLike(grey: [Float], width: Int, height: Int, scales: [DenseSIFTOptions],
                         threads: Int) throws -> DenseSIFTFeatures {
        guard width > 0, height > 0, grey.count == width * height else {
            throw LRPError("dense SIFT: image of \(grey.count) samples is not \(width)×\(height)")
        }
        var plans: [(params: LrpDsiftParams, perRow: Int, rows: Int, offset: Int)] = []
        var total = 0
        for o in scales {
            var params = try cParams(o, width: width, height: height)
            var nx: Int32 = 0, ny: Int32 = 0
            let n = Int(lrp_dsift_num_frames(Int32(width), Int32(height), &params, &nx, &ny))
            guard n >= 0 else { throw LRPError("dense SIFT: invalid parameters (bin size \(o.binSize), step \(o.step))") }
            plans.append((params, Int(nx), Int(ny), total))
            total += n
        }
        let status = StatusCollector()
        var frames = [Float](repeating: 0, count: total * 4)
        let descriptors = [Float](unsafeUninitializedCapacity: total * 128) { dp, dCount in
            frames.withUnsafeMutableBufferPointer { fp in
                grey.withUnsafeBufferPointer { ip in
                    for plan in plans where plan.rows > 0 && plan.perRow > 0 && !status.failed {
                        let chunks = max(1, min(threads, plan.rows))
                        let maxRows = (plan.rows + chunks - 1) / chunks
                        var p = plan.params
                        let wsSize = lrp_dsift_workspace_size(Int32(width), Int32(height), &p, Int32(maxRows))
                        let d = dp.baseAddress!, f = fp.baseAddress!, im = ip.baseAddress!
                        Parallel.forEach(chunks) { c in
                            let begin = c * maxRows, end = min(plan.rows, begin + maxRows)
                            if begin >= end { return }
                            let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsSize, 1), alignment: 64)
                            defer { ws.deallocate() }
                            var pc = plan.params
                            let first = plan.offset + begin * plan.perRow
                            status.check(lrp_dsift_process(im, Int32(width), Int32(height), &pc, Int32(begin), Int32(end),
                                                           d + first * 128, f + first * 4, ws, wsSize))
                        }
                    }
                }
            }
            // every element is written by the kernel; on failure, initialise to keep the array valid
            if status.failed { dp.initialize(repeating: 0) }
            dCount = total * 128
        }
        try status.throwIfFailed("dense SIFT")
        return DenseSIFTFeatures(count: total, descriptors: descriptors, frames: frames)
    }

    /// Number of descriptors one scale gives on a width×height image (no pixels needed).
    /// - Throws: `LRPError` for bad parameters or sizes.
    public static func frameCount(width: Int, height: Int, options: DenseSIFTOptions) throws -> Int {
        guard width >= 1, height >= 1, width.multipliedReportingOverflow(by: height).partialValue <= Int(Int32.max),
              width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw LRPError("dense SIFT: implausible image size \(width)×\(height)")
        }
        var params = try cParams(options, width: width, height: height)
        let n = lrp_dsift_num_frames(Int32(width), Int32(height), &params, nil, nil)
        if n >= 0 { return Int(n) }
        // the kernel refuses more than INT_MAX/128 frames: count them here (vl_dsift's grid)
        let b = options.bounds ?? (0, 0, width - 1, height - 1)
        let span = { (lo: Int, hi: Int) in hi - lo - 3 * options.binSize < 0 ? 0 : (hi - lo - 3 * options.binSize) / options.step + 1 }
        return span(b.minX, b.maxX) * span(b.minY, b.maxY)
    }

    static func cParams(_ o: DenseSIFTOptions, width: Int, height: Int) throws -> LrpDsiftParams {
        guard o.binSize >= 1, o.step >= 1, o.binSize <= 1 << 12, o.step <= 1 << 16 else {
            throw LRPError("dense SIFT: bin size and step must be positive")
        }
        guard o.windowSize > 0, o.windowSize.isFinite, o.smoothSigma >= 0, o.smoothSigma.isFinite,
              o.contrastThreshold >= 0 else {
            throw LRPError("dense SIFT: window size must be positive, smoothing and contrast threshold non-negative")
        }
        let b = o.bounds ?? (0, 0, width - 1, height - 1)
        return LrpDsiftParams(binSize: Int32(o.binSize), step: Int32(o.step),
                              boundMinX: Int32(clamping: b.minX), boundMinY: Int32(clamping: b.minY),
                              boundMaxX: Int32(clamping: b.maxX), boundMaxY: Int32(clamping: b.maxY),
                              flatWindow: o.fast ? 1 : 0, windowSize: o.windowSize,
                              contrastThreshold: o.contrastThreshold, matlabScale: o.matlabScale ? 1 : 0,
                              smoothSigma: o.smoothSigma, smoothKernel: Int32(o.smoothKernel.rawValue))
    }
}
