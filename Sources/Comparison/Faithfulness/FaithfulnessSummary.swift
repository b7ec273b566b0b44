import Foundation

/// Aggregation over images and the stated conclusion (docs/DESIGN.md §10.2).
public enum FaithfulnessSummary {
    /// Per method: means with bootstrap intervals and mean drop curves. Methods keep the order given.
    public static func methods(_ methods: [FaithfulnessMethod], images: [ImageResult], settings: PerturbationSettings) -> [MethodResult] {
        methods.enumerated().map { i, m in
            let curves = curves(of: m, in: images)
            let seed = RegionNoise.mix(settings.seed, UInt64(i))
            func est(_ v: (CurveResult) -> Double) -> Estimate {
                Bootstrap.mean(curves.map(v), resamples: settings.bootstrapResamples, seed: seed)
            }
            return MethodResult(method: m, aopcMoRF: est(\.aopcMoRF), aopcLeRF: est(\.aopcLeRF), abpc: est(\.abpc),
                                meanDropMoRF: meanDrop(curves.map(\.morf)), meanDropLeRF: meanDrop(curves.map(\.lerf)))
        }
    }

    static func curves(of m: FaithfulnessMethod, in images: [ImageResult]) -> [CurveResult] {
        images.compactMap { $0.families.first { $0.family == m.family }?.curves.first { $0.methodID == m.id } }
    }

    static func meanDrop(_ curves: [[Double]]) -> [Double] {
        guard let n = curves.first?.count, !curves.isEmpty else { return [] }
        return (0..<n).map { k in curves.reduce(0.0) { $0 + ($1[0] - $1[k]) } / Double(curves.count) }
    }

    /// Per family: the LRP method with the highest mean ABPC, its paired margins over the
    /// random and centre-prior baselines, and the LRP methods that are not above both baselines
    /// (95% interval of the paired ABPC difference not entirely above 0).
    public static func conclusions(_ results: [MethodResult], images: [ImageResult], settings: PerturbationSettings) -> [FamilyConclusion] {
        ModelFamily.allCases.compactMap { family in
            let own = results.filter { $0.method.family == family }
            guard !own.isEmpty else { return nil }
            let lrp = own.filter { $0.method.kind == .lrp && $0.abpc.count > 0 }
            let random = own.first { $0.method.kind == .random }
            let centre = own.first { $0.method.kind == .centrePrior }
            func margin(_ m: MethodResult, _ b: MethodResult?) -> Estimate? {
                guard let b else { return nil }
                let a = Dictionary(uniqueKeysWithValues: images.compactMap { img -> (String, Double)? in
                    curves(of: m.method, in: [img]).first.map { (img.path, $0.abpc) } })
                let d = images.compactMap { img -> Double? in
                    guard let x = a[img.path], let y = curves(of: b.method, in: [img]).first?.abpc else { return nil }
                    return x - y
                }
                return Bootstrap.mean(d, resamples: settings.bootstrapResamples, seed: RegionNoise.mix(settings.seed, 0xD1FF))
            }
            guard let best = lrp.max(by: { $0.abpc.mean < $1.abpc.mean }) else {
                return FamilyConclusion(family: family, best: nil, bestABPC: nil, marginOverRandom: nil, marginOverCentre: nil,
                                        notAboveBaselines: [], statement: "\(family.displayName): no LRP method was measured.")
            }
            var notAbove: [String] = []
            var notes: [String] = []
            for m in lrp {
                let below = [("random", margin(m, random)), ("centre prior", margin(m, centre))].compactMap { name, e -> String? in
                    guard let e, !(e.low > 0) else { return nil }
                    return "\(name) (ABPC difference \(e.formatted()))"
                }
                if !below.isEmpty {
                    notAbove.append(m.method.id)
                    notes.append("\(m.method.id) is not above \(below.joined(separator: " nor "))")
                }
            }
            let mr = margin(best, random), mc = margin(best, centre)
            var s = "\(family.displayName): the most faithful method is \(best.method.id) with ABPC \(best.abpc.formatted()) over \(best.abpc.count) images"
            var parts: [String] = []
            if let mr { parts.append("\(mr.formatted()) above random") }
            if let mc { parts.append("\(mc.formatted()) above the centre prior") }
            if !parts.isEmpty { s += ", " + parts.joined(separator: " and ") + " (paired differences, 95% bootstrap intervals)" }
            s += ". "
            if notAbove.isEmpty {
                s += (random != nil || centre != nil) ? "Every LRP method is above the baselines (intervals above 0)." : "No baseline was measured."
            } else {
                s += "NOT above the baselines: " + notes.joined(separator: "; ") + "."
            }
            return FamilyConclusion(family: family, best: best.method.id, bestABPC: best.abpc, marginOverRandom: mr,
                                    marginOverCentre: mc, notAboveBaselines: notAbove, statement: s)
        }
    }
}
