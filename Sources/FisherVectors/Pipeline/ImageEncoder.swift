import Foundation
import LRPCore

/// Everything computed on the way from an image to its Fisher vector, kept for relevance.
public struct ImageEncoding: Sendable {
    public var width: Int
    public var height: Int
    /// PHOW descriptors (`count × 128`, VLFeat MATLAB scale) and frames (`count × 4`:
    /// 0-based x, y, bin size, norm).
    public var sift: DenseSIFTFeatures
    /// PCA-projected descriptors, `count × D`.
    public var projected: [Float]
    /// Soft assignments (VLFeat's 1e-6 cut), the non-zero ones in compressed sparse rows.
    public var posteriors: SparsePosteriors
    public var cells: PyramidCells
    /// Sum-pooled Fisher statistics z (cells × 2KD, no 1/N) — the scale of docs/DESIGN.md §4's ε.
    public var statistics: [Float]
    /// Descriptors per cell.
    public var cellCounts: [Int32]
    /// The improved Fisher vector (cells × 2KD): per cell ÷N, signed square root, L2.
    public var fisherVector: [Float]

    public var count: Int { sift.count }
}

/// Image → grey [0,1] → PHOW dense SIFT → PCA → GMM posteriors → per-cell improved FV.
public struct ImageEncoder: Sendable {
    public var features: FeatureOptions
    public var pca: PCA
    public var gmm: GMMParameters

    public init(features: FeatureOptions, pca: PCA, gmm: GMMParameters) {
        self.features = features
        self.pca = pca
        self.gmm = gmm
    }

    public init(model: FisherVectorModel) {
        self.init(features: model.features, pca: model.pca, gmm: model.gmm)
    }

    /// Grey levels in [0, 1] with MATLAB's rgb2gray weights (unrounded, as vl_phow receives
    /// them from `im2single` images).
    public static func grey(_ image: Image) -> [Float] {
        DenseSIFT.unitGrey(image)
    }

    /// Largest side the pipeline works at (DESIGN §5.3): a larger image is reduced while it is
    /// decoded and resized (bilinear with antialiasing, rounded to bytes) to this side, keeping
    /// its aspect ratio, before SIFT. Smaller images are used as they are.
    public static let maxSide = 640

    /// Loads an image for the pipeline, at most `maxSide` pixels on its longer side.
    /// - Throws: `LRPError` naming the file (missing, corrupt, unsupported, too large).
    public static func loadImage(_ url: URL, maxSide: Int = ImageEncoder.maxSide) throws -> Image {
        let (w, h, _) = try Image.info(url)
        guard max(w, h) > maxSide else { return try Image.load(url) }
        let scale = Double(maxSide) / Double(max(w, h))
        let tw = max(1, Int((Double(w) * scale).rounded())), th = max(1, Int((Double(h) * scale).rounded()))
        let image = try Image.load(url, need: Image.Need(width: tw, height: th, keepAspect: true))
        var out = image.resized(width: tw, height: th)
        out.pixels = out.pixels.map { max(0, min(255, $0.rounded())) }
        return out
    }

    /// Descriptors one image may produce (about 3 KB of working memory each with K = 256):
    /// larger images are refused with a message instead of exhausting memory.
    public static let maxDescriptors = 1_000_000

    /// Number of PHOW descriptors of a width×height image (vl_dsift's grid per bin size).
    public static func descriptorCount(width: Int, height: Int, features: FeatureOptions) -> Int {
        let maxSize = features.binSizes.max() ?? 0
        return features.binSizes.reduce(0) { total, size in
            let off = Int((1.5 * Double(maxSize - size)).rounded(.down))
            let span = { (extent: Int) in max(0, (extent - 1 - off - 3 * size) / features.step + 1) }
            return total + (width - 1 - off - 3 * size >= 0 ? span(width) : 0) * (height - 1 - off - 3 * size >= 0 ? span(height) : 0)
        }
    }

    /// PHOW descriptors of an image. `threads` splits the frame rows (1 inside an image-parallel loop).
    /// - Throws: `LRPError` if the image would give more than `maxDescriptors` descriptors.
    public static func descriptors(of image: Image, features: FeatureOptions, threads: Int = Parallel.workerCount) throws -> DenseSIFTFeatures {
        let estimate = descriptorCount(width: image.width, height: image.height, features: features)
        guard estimate <= maxDescriptors else {
            throw LRPError("image of \(image.width)×\(image.height) pixels would give \(estimate) descriptors (limit \(maxDescriptors)); resize it first")
        }
        return try DenseSIFT.phow(grey: grey(image), width: image.width, height: image.height, sizes: features.binSizes,
                           step: features.step, fast: features.fast, magnif: features.magnif,
                           windowSize: features.windowSize, contrastThreshold: features.contrastThreshold,
                           matlabScale: true, threads: threads)
    }

    /// Encodes one image.
    /// - Throws: `LRPError` if the image is too small for any descriptor.
    public func encode(_ image: Image, threads: Int = Parallel.workerCount) throws -> ImageEncoding {
        let sift = try Self.descriptors(of: image, features: features, threads: threads)
        guard sift.count > 0 else {
            throw LRPError("image of \(image.width)×\(image.height) pixels is too small for a \(4 * (features.binSizes.max() ?? 0))-pixel descriptor")
        }
        let projected = pca.project(sift.descriptors, count: sift.count)
        // `threads` reaches every stage: inside an image-parallel loop (threads 1) the kernels
        // must not split their work again
        let q = try GMMKernels.sparsePosteriors(data: projected, count: sift.count, gmm: gmm,
                                                threshold: FisherEncoding.vlfeatPosteriorThreshold, threads: threads).posteriors
        let cells = SpatialPyramid.cells(frames: sift.frames, count: sift.count, width: image.width,
                                         height: image.height, levels: features.pyramid)
        let (z, counts) = try FisherEncoding.cellStatistics(data: projected, count: sift.count, gmm: gmm,
                                                            posteriors: q, cells: cells, threads: threads)
        var fv = z
        FisherEncoding.normalize(&fv, counts: counts, length: gmm.fisherLength)
        return ImageEncoding(width: image.width, height: image.height, sift: sift, projected: projected, posteriors: q,
                             cells: cells, statistics: z, cellCounts: counts, fisherVector: fv)
    }
}
