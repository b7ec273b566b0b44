import CKernels
import Foundation
import LRPCore

/// A pixel rectangle `[x, x + width) × [y, y + height)`, 0-based.
public struct PixelRect: Sendable, Equatable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// The Fisher-vector scores of an image that is changed a few pixels at a time
/// (region perturbation, docs/DESIGN.md §10.2).
///
/// After a local change only the dense-SIFT descriptors whose pooling windows — widened by the
/// pre-smoothing radius and the one-pixel gradient — overlap the changed pixels are computed
/// again (with the same C kernel on a sub-grid of the same sampling grid, so they are
/// bit-identical to a full extraction); their old contributions are subtracted from the
/// sum-pooled Fisher statistics and the new ones added (in double), then the per-cell
/// normalisation and the SVMs run as usual. Descriptor counts per cell do not change (the grid
/// depends only on the image size), so the normalisation stays exact.
public struct IncrementalFisherEncoder: Sendable {
    public let model: FisherVectorModel
    public let width: Int
    public let height: Int
    private var descriptors: [Float]
    private var projected: [Float]
    private let frames: [Float]
    private let cells: PyramidCells
    private let counts: [Int32]
    /// Sum-pooled statistics, cells × 2KD, accumulated in double so that many small updates
    /// do not drift.
    private var statistics: [Double]
    private let scales: [Scale]
    /// Descriptors of the image (all scales).
    public var descriptorCount: Int { frames.count / 4 }
    /// The current descriptors (`descriptorCount × 128`, the order of `ImageEncoder`).
    public var currentDescriptors: [Float] { descriptors }
    /// Descriptors computed again by `update` so far, and of those the ones that changed.
    public private(set) var recomputed = 0
    public private(set) var changed = 0

    private struct Scale: Sendable {
        var params: LrpDsiftParams
        var nx: Int
        var ny: Int
        var offset: Int
        var binSize: Int
        /// Rows/columns of pixels a change reaches beyond itself before SIFT sees it:
        /// smoothing radius, the central-difference gradient, one pixel of safety.
        var reach: Int
    }

    /// Encodes `image` in full (the pipeline's own encoder).
    public init(model: FisherVectorModel, image: Image, threads: Int = Parallel.workerCount) throws {
        self.model = model
        width = image.width
        height = image.height
        let encoding = try ImageEncoder(model: model).encode(image, threads: threads)
        descriptors = encoding.sift.descriptors
        projected = encoding.projected
        frames = encoding.sift.frames
        cells = encoding.cells
        counts = encoding.cellCounts
        statistics = encoding.statistics.map(Double.init)
        let f = model.features
        let maxSize = f.binSizes.max() ?? 0
        var scales: [Scale] = []
        var total = 0
        for size in f.binSizes {
            let off = Int((1.5 * Double(maxSize - size)).rounded(.down))
            let o = DenseSIFTOptions(binSize: size, step: f.step, bounds: (off, off, image.width - 1, image.height - 1),
                                     fast: f.fast, windowSize: f.windowSize, contrastThreshold: f.contrastThreshold,
                                     matlabScale: true, smoothSigma: Float(size) / f.magnif, smoothKernel: .matlab)
            var p = try DenseSIFT.cParams(o, width: image.width, height: image.height)
            var nx: Int32 = 0, ny: Int32 = 0
            let n = Int(lrp_dsift_num_frames(Int32(image.width), Int32(image.height), &p, &nx, &ny))
            guard n >= 0 else { throw LRPError("dense SIFT: invalid parameters (bin size \(size))") }
            // MATLAB vl_imsmooth's radius is ceil(4σ)
            let radius = Int((4 * Double(size) / Double(f.magnif)).rounded(.up))
            scales.append(Scale(params: p, nx: Int(nx), ny: Int(ny), offset: total, binSize: size, reach: radius + 2))
            total += n
        }
        guard total == encoding.count else {
            throw LRPError("internal: incremental SIFT grid has \(total) frames, the encoder \(encoding.count)")
        }
        self.scales = scales
    }

    /// The SVM scores of the current image.
    public func scores() -> [Float] {
        var fv = statistics.map(Float.init)
        FisherEncoding.normalize(&fv, counts: counts, length: model.gmm.fisherLength)
        return model.svms.scores(fv)
    }

    /// Takes the changed image (same size) and the rectangles that changed since the last call,
    /// and brings the statistics up to date.
    public mutating func update(image: Image, changed rects: [PixelRect]) throws {
        guard image.width == width, image.height == height else {
            throw LRPError("incremental encoding: image is \(image.width)×\(image.height), expected \(width)×\(height)")
        }
        let rects = rects.filter { $0.width > 0 && $0.height > 0 }
        if rects.isEmpty { return }
        let grey = ImageEncoder.grey(image)
        var indices: [Int] = []
        var fresh: [Float] = []
        // each rectangle on its own (a bounding box of scattered regions would cover most of the
        // image); a frame seen by several rectangles is taken once
        var seen = Set<Int>()
        for s in scales where s.nx > 0 && s.ny > 0 {
            for rect in rects {
                guard let (i0, i1) = Self.frameRange(lo: rect.x - s.reach, hi: rect.x + rect.width - 1 + s.reach,
                                                     minBound: Int(s.params.boundMinX), step: Int(s.params.step),
                                                     binSize: s.binSize, count: s.nx),
                      let (j0, j1) = Self.frameRange(lo: rect.y - s.reach, hi: rect.y + rect.height - 1 + s.reach,
                                                     minBound: Int(s.params.boundMinY), step: Int(s.params.step),
                                                     binSize: s.binSize, count: s.ny) else { continue }
                let (sub, subFrames) = try extract(grey: grey, scale: s, columns: i0...i1, rows: j0...j1)
                let nxs = i1 - i0 + 1
                for jj in 0...(j1 - j0) {
                    for ii in 0..<nxs {
                        let local = jj * nxs + ii
                        let global = s.offset + (j0 + jj) * s.nx + (i0 + ii)
                        if !seen.insert(global).inserted { continue }
                        // the sub-grid must be the same grid (checked, cheap)
                        guard subFrames[4 * local] == frames[4 * global], subFrames[4 * local + 1] == frames[4 * global + 1] else {
                            throw LRPError("internal: incremental SIFT frame \(global) is not on the image's grid")
                        }
                        recomputed += 1
                        let new = sub[(128 * local)..<(128 * local + 128)]
                        if new.elementsEqual(descriptors[(128 * global)..<(128 * global + 128)]) { continue }
                        indices.append(global)
                        fresh.append(contentsOf: new)
                    }
                }
            }
        }
        if indices.isEmpty { return }
        changed += indices.count
        let d = model.gmm.dimension
        var oldProjected = [Float](); oldProjected.reserveCapacity(indices.count * d)
        var subCells = [Int32](); subCells.reserveCapacity(indices.count * cells.cellsPerDescriptor)
        for g in indices {
            oldProjected.append(contentsOf: projected[(g * d)..<((g + 1) * d)])
            subCells.append(contentsOf: cells.indices[(g * cells.cellsPerDescriptor)..<((g + 1) * cells.cellsPerDescriptor)])
        }
        let newProjected = model.pca.project(fresh, count: indices.count)
        let subset = PyramidCells(numCells: cells.numCells, cellsPerDescriptor: cells.cellsPerDescriptor, indices: subCells)
        let old = try statisticsOf(oldProjected, count: indices.count, cells: subset)
        let new = try statisticsOf(newProjected, count: indices.count, cells: subset)
        for i in 0..<statistics.count where old[i] != 0 || new[i] != 0 {
            statistics[i] += Double(new[i]) - Double(old[i])
        }
        for (k, g) in indices.enumerated() {
            descriptors.replaceSubrange((128 * g)..<(128 * g + 128), with: fresh[(128 * k)..<(128 * k + 128)])
            projected.replaceSubrange((g * d)..<((g + 1) * d), with: newProjected[(k * d)..<((k + 1) * d)])
        }
    }

    private func statisticsOf(_ data: [Float], count: Int, cells: PyramidCells) throws -> [Float] {
        let q = try GMMKernels.sparsePosteriors(data: data, count: count, gmm: model.gmm,
                                                threshold: FisherEncoding.vlfeatPosteriorThreshold, threads: 1).posteriors
        return try FisherEncoding.cellStatistics(data: data, count: count, gmm: model.gmm, posteriors: q, cells: cells,
                                                 threads: 1).statistics
    }

    /// Frame indices along one axis whose bins pool any pixel of `lo...hi`. A frame at grid
    /// position `f = minBound + i·step` pools pixels `f − (b − 1) ... f + 3b + (b − 1)`.
    static func frameRange(lo: Int, hi: Int, minBound: Int, step: Int, binSize b: Int, count: Int) -> (Int, Int)? {
        // f − b + 1 <= hi  and  f + 4b − 1 >= lo
        let first = Self.ceilDiv(lo - 4 * b + 1 - minBound, step)
        let last = Self.floorDiv(hi + b - 1 - minBound, step)
        let a = max(0, first), z = min(count - 1, last)
        return a <= z ? (a, z) : nil
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    private static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }

    /// Dense SIFT of the sub-grid `columns × rows` of one scale (same grid, bounds narrowed).
    private func extract(grey: [Float], scale s: Scale, columns: ClosedRange<Int>, rows: ClosedRange<Int>) throws
        -> (descriptors: [Float], frames: [Float]) {
        var p = s.params
        let step = Int(s.params.step)
        p.boundMinX = s.params.boundMinX + Int32(columns.lowerBound * step)
        p.boundMaxX = s.params.boundMinX + Int32(columns.upperBound * step + 3 * s.binSize)
        p.boundMinY = s.params.boundMinY + Int32(rows.lowerBound * step)
        p.boundMaxY = s.params.boundMinY + Int32(rows.upperBound * step + 3 * s.binSize)
        var nx: Int32 = 0, ny: Int32 = 0
        let n = Int(lrp_dsift_num_frames(Int32(width), Int32(height), &p, &nx, &ny))
        guard n == columns.count * rows.count else {
            throw LRPError("internal: incremental SIFT sub-grid has \(n) frames, expected \(columns.count * rows.count)")
        }
        let wsSize = lrp_dsift_workspace_size(Int32(width), Int32(height), &p, ny)
        let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsSize, 1), alignment: 64)
        defer { ws.deallocate() }
        var d = [Float](repeating: 0, count: n * 128)
        var f = [Float](repeating: 0, count: n * 4)
        let status = grey.withUnsafeBufferPointer { g in
            d.withUnsafeMutableBufferPointer { dp in
                f.withUnsafeMutableBufferPointer { fp in
                    lrp_dsift_process(g.baseAddress!, Int32(width), Int32(height), &p, 0, ny, dp.baseAddress!,
                                      fp.baseAddress!, ws, wsSize)
                }
            }
        }
        guard status == 0 else { throw LRPError("dense SIFT failed (status \(status)) during incremental encoding") }
        return (d, f)
    }
}

extension IncrementalFisherEncoder {
    /// `frameRange` for tests of the geometry.
    public static func frameRangeForTests(lo: Int, hi: Int, minBound: Int, step: Int, binSize: Int, count: Int) -> (Int, Int)? {
        frameRange(lo: lo, hi: hi, minBound: minBound, step: step, binSize: binSize, count: count)
    }
}
