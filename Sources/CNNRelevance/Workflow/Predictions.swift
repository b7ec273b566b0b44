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
        let softmax = Softmax(values)
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        return order.prefix(max(0, k)).map { softmax.prediction($0, values: values, graph: graph, labels: labels) }
    }

    /// Output `i` as `top` would list it, without ranking (and labelling) every output.
    public static func prediction(_ i: Int, of logits: ArraySlice<Float>, graph: Graph, labels: ClassLabels?) -> Prediction {
        let values = Array(logits)
        return Softmax(values).prediction(i, values: values, graph: graph, labels: labels)
    }

    /// The softmax normaliser of one sample's logits (non-finite logits count as zero).
    private struct Softmax {
        var maxLogit: Float
        var total: Double

        init(_ values: [Float]) {
            maxLogit = values.filter(\.isFinite).max() ?? 0
            let m = maxLogit
            total = values.reduce(0) { $0 + ($1.isFinite ? Double(exp($1 - m)) : 0) }
        }

        func prediction(_ i: Int, values: [Float], graph: Graph, labels: ClassLabels?) -> Prediction {
            let c = graph.outputClasses?[i] ?? i
            let e = values[i].isFinite ? Double(exp(values[i] - maxLogit)) : 0
            return Prediction(outputIndex: i, classIndex: c, label: labels?.name(c) ?? "class \(c)",
                              logit: values[i], probability: total > 0 ? Float(e / total) : 0)
        }
    }
}
