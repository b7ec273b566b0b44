import Foundation
import LRPCore

/// MoRF and LeRF curves of several methods on one image (docs/DESIGN.md §10.2): ranks the regions
/// of each method's scores, asks the model for both curves of every method in one call (so the
/// model can batch or parallelise across methods), and returns the per-method curves.
public enum CurveEvaluation {
    public static func curves(model: PerturbationModel, original: [Float], regionScores: [(id: String, scores: [Double])],
                              grid: RegionGrid, noise: RegionNoise, settings: PerturbationSettings) throws -> [CurveResult] {
        var requests: [CurveRequest] = []
        for (_, scores) in regionScores {
            guard scores.count == grid.count else {
                throw LRPError("internal: \(scores.count) region scores for \(grid.count) regions")
            }
            requests.append(CurveRequest(regions: Array(PerturbationOrder.morf.ranking(scores).prefix(settings.steps))))
            requests.append(CurveRequest(regions: Array(PerturbationOrder.lerf.ranking(scores).prefix(settings.steps))))
        }
        let f = try model.curves(original: original, requests: requests, grid: grid, noise: noise, settings: settings)
        return regionScores.enumerated().map { m, entry in
            CurveResult(methodID: entry.id, morf: f[2 * m], lerf: f[2 * m + 1])
        }
    }

    /// Channel-summed relevance `[H, W]` of a `[C, H, W]` map.
    public static func channelSum(_ r: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        var out = [Float](repeating: 0, count: height * width)
        for c in 0..<channels {
            for i in 0..<(height * width) { out[i] += r[c * height * width + i] }
        }
        return out
    }
}
