import FisherVectors

/// A mean with its 95% percentile-bootstrap interval (docs/DESIGN.md §10.2).
public struct Estimate: Sendable, Equatable, Codable {
    public var mean: Double
    public var low: Double
    public var high: Double
    /// Number of values (images) the mean is over.
    public var count: Int

    public init(mean: Double, low: Double, high: Double, count: Int) {
        self.mean = mean
        self.low = low
        self.high = high
        self.count = count
    }

    /// "0.123 [0.100, 0.150]".
    public func formatted(digits: Int = 3) -> String {
        "\(Self.fmt(mean, digits)) [\(Self.fmt(low, digits)), \(Self.fmt(high, digits))]"
    }

    static func fmt(_ v: Double, _ digits: Int) -> String {
        v.isFinite ? String(format: "%.\(digits)f", v) : "n/a"
    }
}

/// Percentile bootstrap of the mean over images: resample the values with replacement
/// `resamples` times (seeded), take the 2.5th and 97.5th percentiles of the resampled means.
/// Paired differences (a method against a baseline on the same images) are bootstrapped by
/// passing the per-image differences.
public enum Bootstrap {
    public static func mean(_ values: [Double], resamples: Int, seed: UInt64) -> Estimate {
        let n = values.count
        guard n > 0 else { return Estimate(mean: .nan, low: .nan, high: .nan, count: 0) }
        let m = values.reduce(0, +) / Double(n)
        guard n > 1, resamples > 0 else { return Estimate(mean: m, low: m, high: m, count: n) }
        var rng = SplitMix64(seed: RegionNoise.mix(seed, 0xB007))
        var means = [Double](repeating: 0, count: resamples)
        for b in 0..<resamples {
            var s = 0.0
            for _ in 0..<n { s += values[Int(rng.next() % UInt64(n))] }
            means[b] = s / Double(n)
        }
        means.sort()
        return Estimate(mean: m, low: percentile(means, 0.025), high: percentile(means, 0.975), count: n)
    }

    /// Linear interpolation between the closest ranks (numpy's default).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(sorted.count - 1, lo + 1)
        return sorted[lo] + (pos - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
