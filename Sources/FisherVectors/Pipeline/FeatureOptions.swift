import Foundation
import LRPCore

/// One level of the spatial pyramid: the image split into `rows × columns` equal cells.
/// Written `RxC` on the command line and in model files — rows first, as VLFeat's
/// `encodeImage.m` reads its layouts — so `3x1` is three horizontal stripes.
public struct PyramidLevel: Sendable, Equatable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    public var description: String { "\(rows)x\(columns)" }
    public var cellCount: Int { rows * columns }
}

/// Everything that turns an image into descriptors and pyramid cells (docs/DESIGN.md §3): PHOW dense
/// SIFT on grey levels in [0, 1] and the spatial pyramid.
public struct FeatureOptions: Sendable, Equatable {
    public var binSizes: [Int] = [4, 6, 8, 10]
    public var step: Int = 3
    /// Flat-window ("fast") dense SIFT, vl_phow's default.
    public var fast: Bool = true
    /// Smoothing σ = binSize / magnif (vl_phow's `Magnif`).
    public var magnif: Float = 6
    /// Gaussian window std in bins (vl_phow's `WindowSize`).
    public var windowSize: Float = 1.5
    /// Descriptors with a lower norm are zeroed (vl_phow's `ContrastThreshold`).
    public var contrastThreshold: Double = 0.005
    public var pyramid: [PyramidLevel] = [PyramidLevel(rows: 1, columns: 1), PyramidLevel(rows: 2, columns: 2),
                                          PyramidLevel(rows: 3, columns: 1)]

    public init() {}

    public var cellCount: Int { pyramid.reduce(0) { $0 + $1.cellCount } }

    /// Throws unless every value is usable.
    public func validate() throws {
        guard !binSizes.isEmpty, binSizes.allSatisfy({ $0 >= 1 && $0 <= 256 }) else {
            throw LRPError("bin sizes must be between 1 and 256 pixels, got \(binSizes)")
        }
        guard step >= 1 && step <= 1024 else { throw LRPError("step must be between 1 and 1024 pixels, got \(step)") }
        guard magnif > 0, magnif.isFinite, windowSize > 0, windowSize.isFinite else {
            throw LRPError("magnif and window size must be positive")
        }
        guard contrastThreshold >= 0, contrastThreshold.isFinite else { throw LRPError("contrast threshold must be non-negative") }
        guard !pyramid.isEmpty, pyramid.allSatisfy({ (1...1024).contains($0.rows) && (1...1024).contains($0.columns) && $0.cellCount <= 1024 }) else {
            // Rows and columns bounded before their product (no overflow trap on a hostile file).
            throw LRPError("pyramid levels must have at least one row and column and at most 1024 cells")
        }
    }

    /// Parses "4,6,8,10".
    public static func parseSizes(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let sizes = parts.compactMap { Int(String($0).trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, sizes.count == parts.count else {
            throw LRPError("cannot read bin sizes '\(text)' (expected e.g. 4,6,8,10)")
        }
        return sizes
    }

    /// Parses "1x1,2x2,3x1".
    public static func parsePyramid(_ text: String) throws -> [PyramidLevel] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let rc = String(part).trimmingCharacters(in: .whitespaces).lowercased().split(separator: "x", omittingEmptySubsequences: false)
            guard rc.count == 2, let r = Int(rc[0]), let c = Int(rc[1]), r >= 1, c >= 1 else {
                throw LRPError("cannot read pyramid '\(text)' (expected e.g. 1x1,2x2,3x1: rows x columns per level)")
            }
            return PyramidLevel(rows: r, columns: c)
        }
    }
}
