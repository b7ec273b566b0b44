import Foundation
import LRPCore

/// The knobs of region perturbation (docs/DESIGN.md §10.2); defaults are Samek et al. 2017's.
public struct PerturbationSettings: Sendable, Equatable, Codable {
    /// Side of the square regions, pixels of the model's input space.
    public var regionSize: Int = 9
    /// L: regions replaced per curve.
    public var steps: Int = 100
    /// s: the model is re-scored after every s steps (and at step 0 and step L).
    public var every: Int = 5
    /// Seed of the noise, the random orders and the bootstrap.
    public var seed: UInt64 = 0
    /// Bootstrap resamples for the 95% intervals.
    public var bootstrapResamples: Int = 2000

    public init() {}

    public init(regionSize: Int, steps: Int, every: Int, seed: UInt64, bootstrapResamples: Int = 2000) {
        self.regionSize = regionSize
        self.steps = steps
        self.every = every
        self.seed = seed
        self.bootstrapResamples = bootstrapResamples
    }

    /// The steps k at which f(x⁽ᵏ⁾) is computed: 0, s, 2s, …, and L itself.
    public var scoredSteps: [Int] {
        var out = Array(stride(from: 0, through: steps, by: every))
        if out.last != steps { out.append(steps) }
        return out
    }

    /// Checks the values on their own.
    public func validate() throws {
        guard regionSize >= 1 else { throw LRPError("region size must be at least 1 pixel (got \(regionSize))") }
        guard steps >= 1 else { throw LRPError("the number of steps L must be at least 1 (got \(steps))") }
        guard every >= 1, every <= steps else {
            throw LRPError("re-scoring every \(every) steps does not fit L = \(steps) (1...\(steps))")
        }
        guard bootstrapResamples >= 1 else { throw LRPError("bootstrap resamples must be at least 1 (got \(bootstrapResamples))") }
    }

    /// The region grid of an input space, checked against L.
    /// - Throws: `LRPError` when the regions do not fit the image or there are fewer than L.
    public func grid(for space: InputSpace, name: String) throws -> RegionGrid {
        guard regionSize <= space.width, regionSize <= space.height else {
            throw LRPError("region size \(regionSize) does not fit the \(space.width)×\(space.height) input of the \(name)")
        }
        let grid = try RegionGrid(width: space.width, height: space.height, size: regionSize)
        guard grid.count >= steps else {
            throw LRPError("\(steps) steps need at least \(steps) regions, but \(regionSize)-pixel regions give only \(grid.count) (\(grid.columns)×\(grid.rows)) on the \(space.width)×\(space.height) input of the \(name)")
        }
        return grid
    }
}
