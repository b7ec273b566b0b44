import Foundation

/// Scores of a classifier on a dataset split: per-class AP (VOC 2007), mean AP and top-1.
public struct EvaluationReport: Sendable {
    public var classes: [String]
    public var classNames: [String]
    public var averagePrecision: [Double]
    public var meanAveragePrecision: Double
    /// Fraction of images (with at least one positive label) whose highest-scoring class is
    /// present; for single-label data this is the usual top-1 accuracy.
    public var top1: Double
    public var imageCount: Int

    /// - Parameters:
    ///   - scores: per image, one score per class (same order as `classes`).
    ///   - labels: per image, one label per class (1, −1, 0).
    public init(classes: [String], classNames: [String]? = nil, scores: [[Float]], labels: [[Int8]]) {
        precondition(scores.count == labels.count)
        self.classes = classes
        self.classNames = classNames ?? classes
        self.imageCount = scores.count
        averagePrecision = classes.indices.map { c in
            AveragePrecision.voc2007(scores: scores.map { $0[c] }, labels: labels.map { $0[c] })
        }
        meanAveragePrecision = averagePrecision.isEmpty ? 0 : averagePrecision.reduce(0, +) / Double(averagePrecision.count)
        var counted = 0, correct = 0
        for (s, l) in zip(scores, labels) where l.contains(where: { $0 > 0 }) {
            counted += 1
            // Ties go to the first class, like numpy's argmax.
            var best = 0
            for c in s.indices where s[c] > s[best] { best = c }
            if l[best] > 0 { correct += 1 }
        }
        top1 = counted > 0 ? Double(correct) / Double(counted) : 0
    }

    /// A plain-text table: one row per class, then mAP and top-1 (percentages).
    public func table(title: String? = nil) -> String {
        let nameWidth = max(5, (classNames.map(\.count).max() ?? 0))
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, nameWidth - s.count)) }
        var lines: [String] = []
        if let title { lines.append(title) }
        lines.append("\(pad("class"))  AP (%)")
        for (name, ap) in zip(classNames, averagePrecision) {
            lines.append("\(pad(name))  \(String(format: "%6.2f", ap * 100))")
        }
        lines.append("\(pad("mAP"))  \(String(format: "%6.2f", meanAveragePrecision * 100))")
        lines.append("\(pad("top-1"))  \(String(format: "%6.2f", top1 * 100))")
        lines.append("(\(imageCount) images)")
        return lines.joined(separator: "\n")
    }

    /// Dictionary for `JSONOutput`.
    public var json: [String: Any] {
        [
            "classes": classes,
            "classNames": classNames,
            "averagePrecision": Dictionary(uniqueKeysWithValues: zip(classes, averagePrecision)),
            "meanAveragePrecision": meanAveragePrecision,
            "top1": top1,
            "images": imageCount,
            "apDefinition": "PASCAL VOC 2007 devkit, 11-point interpolated; label-0 images ignored",
        ]
    }
}
