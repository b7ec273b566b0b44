/// Which end of the relevance ranking is perturbed first (docs/DESIGN.md §10.2).
public enum PerturbationOrder: String, Sendable, Codable, CaseIterable {
    /// Most relevant first.
    case morf = "MoRF"
    /// Least relevant first.
    case lerf = "LeRF"

    /// Region indices in perturbation order for the given per-region scores.
    ///
    /// Ties (equal sums: symmetric centre priors, flat maps, regions of zero relevance) are
    /// broken by region index, lowest first, in both orders, so the ranking is deterministic
    /// and does not depend on the sort algorithm. Non-finite scores rank as least relevant.
    public func ranking(_ scores: [Double]) -> [Int] {
        let clean = scores.map { $0.isFinite ? $0 : -Double.infinity }
        switch self {
        case .morf:
            return clean.indices.sorted { clean[$0] != clean[$1] ? clean[$0] > clean[$1] : $0 < $1 }
        case .lerf:
            return clean.indices.sorted { clean[$0] != clean[$1] ? clean[$0] < clean[$1] : $0 < $1 }
        }
    }
}
