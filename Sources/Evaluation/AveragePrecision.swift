/// Average precision exactly as the PASCAL VOC 2007 devkit computes it (`VOCevalcls.m`):
/// images sorted by descending score (stable, as MATLAB's `sort`), cumulative true and false
/// positives where label-0 ("difficult only") images count as neither, recall over the
/// positives, and the 11-point interpolated precision
/// `AP = 1/11 Σ_{t=0,0.1,…,1} max{ prec(r) : r ≥ t }` (0 where no recall reaches t).
public enum AveragePrecision {
    /// - Parameters:
    ///   - scores: one score per image (higher = more confident the class is present).
    ///   - labels: per image 1 (present), −1 (absent) or 0 (ignored).
    /// - Returns: the AP in [0, 1]. Without any positive the devkit's recall is 0/0 and its AP
    ///   comes out as 0; so does this one.
    public static func voc2007(scores: [Float], labels: [Int8]) -> Double {
        precondition(scores.count == labels.count, "one label per score")
        // Stable descending order: MATLAB's sort(-out) keeps the input order among ties.
        let order = scores.indices.sorted { a, b in
            scores[a] != scores[b] ? scores[a] > scores[b] : a < b
        }
        let positives = labels.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        var recall: [Double] = [], precision: [Double] = []
        recall.reserveCapacity(order.count)
        precision.reserveCapacity(order.count)
        var tp = 0, fp = 0
        for i in order {
            if labels[i] > 0 { tp += 1 } else if labels[i] < 0 { fp += 1 }
            recall.append(positives > 0 ? Double(tp) / Double(positives) : .nan)
            // 0/0 at the head of the ranking (only label-0 images so far) is NaN, which
            // MATLAB's max ignores; we skip it the same way below.
            precision.append(tp + fp > 0 ? Double(tp) / Double(tp + fp) : .nan)
        }
        var ap = 0.0
        for t in thresholds {
            var best: Double? = nil
            for (r, p) in zip(recall, precision) where r >= t && !p.isNaN {
                best = max(best ?? p, p)
            }
            ap += (best ?? 0) / 11
        }
        return ap
    }

    /// MATLAB's `0:0.1:1` bit for bit: the colon operator computes the first half as `k·0.1`
    /// and the second half as `1 − (10−k)·0.1`, so the fourth threshold is 0.30000000000000004
    /// (not 0.3) — which decides the AP when a recall lands exactly on 0.3.
    static let thresholds: [Double] = (0...10).map { (k: Int) -> Double in
        let step = 0.1
        return k <= 5 ? Double(k) * step : 1.0 - Double(10 - k) * step
    }
}
