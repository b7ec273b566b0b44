import FisherVectors
import Foundation

/// The uniform noise that replaces a region (docs/DESIGN.md §10.2).
///
/// Noise is drawn per channel uniformly over the model's valid input range in its own input
/// space (`InputSpace.noiseLow...noiseHigh`). The generator is seeded by (run seed, image,
/// region) only — not by method or order — so every method that removes region r of an image
/// puts the same noise there (common random numbers: differences between methods are not
/// differences between noise draws), and a run is reproducible.
public struct RegionNoise: Sendable {
    public let seed: UInt64
    public let image: Int

    public init(seed: UInt64, image: Int) {
        self.seed = seed
        self.image = image
    }

    /// Overwrites the pixels of `rect` in `input` (laid out as `space` says) with noise.
    public func fill(_ input: inout [Float], region: Int, rect: PixelRect, space: InputSpace) {
        var rng = SplitMix64(seed: Self.mix(seed, UInt64(image), UInt64(region)))
        for y in rect.y..<(rect.y + rect.height) {
            for x in rect.x..<(rect.x + rect.width) {
                for c in 0..<space.channels {
                    let u = Float(Double(rng.next() >> 11) * 0x1p-53)
                    input[space.index(x: x, y: y, channel: c)] = space.noiseLow[c] + u * (space.noiseHigh[c] - space.noiseLow[c])
                }
            }
        }
    }

    /// A well-spread 64-bit seed from several values (SplitMix64 finaliser chained).
    static func mix(_ values: UInt64...) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for v in values {
            var z = h ^ (v &+ 0x9E37_79B9_7F4A_7C15)
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            h = z ^ (z >> 31)
        }
        return h
    }
}
