import Foundation

/// One ranked class of a model's output for one image.
public struct Prediction: Sendable {
    /// Position in the (possibly restricted) model output.
    public var outputIndex: Int
    /// The model's own class index (differs from `outputIndex` when the outputs are restricted).
    public var classIndex: Int
    public var label: String
    public var logit: Float
    /// Softmax over the (restricted) outputs.
    public var probability: Float

    public var json: [String: Any] {
        ["index": classIndex, "outputIndex": outputIndex, "label": label, "logit": logit, "probability": probability]
    }
}

/// Ranking of logits.
public enum Ranking {
    /// The `k` best outputs of one sample, best first (ties: lower index first).
    public static func top(_ logits: ArraySlice<Float>, k: Int, graph: Graph, labels: ClassLabels?) -> [Prediction] {
        let values = Array(logits)
        let maxLogit = values.filter(\.isFinite).max() ?? 0
        let exps = values.map { $0.isFinite ? Double(exp($0 - maxLogit)) : 0 }
        let total = exps.reduce(0, +)
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        return order.prefix(max(0, k)).map { i in
            let c = graph.outputClasses?[i] ?? i
            return Prediction(outputIndex: i, classIndex: c, label: labels?.name(c) ?? "class \(c)",
                              logit: values[i], probability: total > 0 ? Float(exps[i] / total) : 0)
        }
    }
}
