import Evaluation
import Foundation
import LRPCore

/// Scores a dataset split with a CNN: per-class AP (VOC 2007), mAP and top-1 via the
/// Evaluation library, side by side with `FisherVectorEvaluator`. Pictures are read in batches;
/// unreadable ones are skipped and listed.
public enum CNNEvaluator {
    public struct Result {
        public var report: EvaluationReport
        public var skippedImages: [String]
        public var datasetWarnings: [String]
        public var seconds: Double
        /// The report as JSON with the run's context: model, dataset, split, layout, skipped
        /// images, time, the model classes kept and the input preprocessing.
        public var json: [String: Any]
    }

    /// - Parameters:
    ///   - modelName: shown in the JSON report (the model path).
    /// - Throws: `LRPError` if the model's outputs do not match the dataset's classes (one output
    ///   per class, in sorted class order), or no image could be scored.
    public static func evaluate(graph: Graph, modelName: String, dataset: Dataset, preprocessing: Preprocessing,
                                batchSize: Int, progress: ProgressHandler? = nil) throws -> Result {
        let outputs = graph.valueShapes[graph.output.index][0]
        guard outputs == dataset.classes.count else {
            throw LRPError("the model has \(outputs) outputs but the dataset has \(dataset.classes.count) classes (one model output per dataset class, in sorted class order)")
        }
        let scorer = try BatchScoring(graph: graph)
        let start = Date()
        let (rows, failures) = try scorer.logits(images: dataset.items.map(\.url), preprocessing: preprocessing,
                                                 batchSize: batchSize, progress: progress)
        var scores: [[Float]] = [], labels: [[Int8]] = []
        for (item, row) in zip(dataset.items, rows) {
            guard let row else { continue }
            scores.append(row)
            labels.append(item.labels)
        }
        guard !scores.isEmpty else { throw LRPError("no readable images in the dataset") }
        let report = EvaluationReport(classes: dataset.classes, classNames: dataset.classNames, scores: scores, labels: labels)
        let seconds = Date().timeIntervalSince(start)
        var json = report.json
        json["model"] = modelName
        json["dataset"] = dataset.root.path
        json["split"] = dataset.split
        json["layout"] = dataset.layout.rawValue
        json["skippedImages"] = failures.count
        json["seconds"] = seconds
        if let classes = graph.outputClasses { json["modelClasses"] = classes }
        json["input"] = preprocessing.summary
        return Result(report: report, skippedImages: failures, datasetWarnings: dataset.warnings, seconds: seconds, json: json)
    }
}
