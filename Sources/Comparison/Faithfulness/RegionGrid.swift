import FisherVectors
import Foundation
import LRPCore

/// The non-overlapping square regions of region perturbation (docs/DESIGN.md §10.2).
///
/// Only whole regions are used: a `size`-pixel grid of ⌊W/size⌋ × ⌊H/size⌋ regions, centred on
/// the image (the leftover border of fewer than `size` pixels is split evenly and never
/// perturbed), so every region holds the same number of pixels and summed relevance compares
/// like with like. Regions are numbered row by row.
public struct RegionGrid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let size: Int
    public let columns: Int
    public let rows: Int
    public let originX: Int
    public let originY: Int

    /// - Throws: `LRPError` if the size is not positive or no region fits the image.
    public init(width: Int, height: Int, size: Int) throws {
        guard size >= 1 else { throw LRPError("region size must be at least 1 pixel (got \(size))") }
        guard size <= width, size <= height else {
            throw LRPError("region size \(size) does not fit a \(width)×\(height) image")
        }
        self.width = width
        self.height = height
        self.size = size
        columns = width / size
        rows = height / size
        originX = (width - columns * size) / 2
        originY = (height - rows * size) / 2
    }

    public var count: Int { columns * rows }

    public func rect(_ region: Int) -> PixelRect {
        PixelRect(x: originX + (region % columns) * size, y: originY + (region / columns) * size, width: size, height: size)
    }

    /// Summed relevance of every region of a row-major `height × width` map (double sums).
    public func sums(_ map: [Float]) throws -> [Double] {
        guard map.count == width * height else {
            throw LRPError("relevance map of \(map.count) values does not match a \(width)×\(height) image")
        }
        var out = [Double](repeating: 0, count: count)
        for r in 0..<count {
            let rc = rect(r)
            var s = 0.0
            for y in rc.y..<(rc.y + rc.height) {
                for x in rc.x..<(rc.x + rc.width) { s += Double(map[y * width + x]) }
            }
            out[r] = s
        }
        return out
    }
}
