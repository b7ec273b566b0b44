import FisherVectors
import Foundation

/// Region scores of the two baselines (docs/DESIGN.md §10.2).
public enum BaselineMaps {
    /// A random score per region (uniform, seeded by run seed, image and family): MoRF is a
    /// random order and LeRF its reverse.
    public static func random(regions: Int, seed: UInt64, image: Int, family: ModelFamily) -> [Double] {
        var rng = SplitMix64(seed: RegionNoise.mix(seed, UInt64(image), family == .cnn ? 0xC11 : 0xF5, 0x5A11D))
        return (0..<regions).map { _ in Double(rng.next() >> 11) * 0x1p-53 }
    }

    /// A centred isotropic Gaussian over the image, σ = ¼ of the shorter side (a generic
    /// "objects are photographed in the middle" prior), as a row-major H×W map.
    public static func centrePrior(width: Int, height: Int) -> [Float] {
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let sigma = Double(min(width, height)) / 4
        var out = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let d2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
                out[y * width + x] = Float(exp(-d2 / (2 * sigma * sigma)))
            }
        }
        return out
    }
}
