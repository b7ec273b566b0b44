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
        let json = reportJSON(report, context: reportContext(graph: graph, modelName: modelName, dataset: dataset,
                                                             preprocessing: preprocessing),
                              skippedImages: failures.count, seconds: seconds)
        return Result(report: report, skippedImages: failures, datasetWarnings: dataset.warnings, seconds: seconds, json: json)
    }

    /// The report's fields besides the scores: model, dataset, split, layout, model classes, input.
    public static func reportContext(graph: Graph, modelName: String, dataset: Dataset, preprocessing: Preprocessing) -> [String: Any] {
        var json: [String: Any] = ["model": modelName, "dataset": dataset.root.path, "split": dataset.split,
                                   "layout": dataset.layout.rawValue, "input": preprocessing.summary]
        if let classes = graph.outputClasses { json["modelClasses"] = classes }
        return json
    }

    /// The JSON report (the same for an unsharded run and merged shards).
    public static func reportJSON(_ report: EvaluationReport, context: [String: Any], skippedImages: Int, seconds: Double) -> [String: Any] {
        var json = report.json
        for (k, v) in context { json[k] = v }
        json["skippedImages"] = skippedImages
        json["seconds"] = seconds
        return json
    }

    /// One shard of an evaluation (docs/DESIGN.md §9): scores the shard's images that are not
    /// done yet into `<output>/<shard folder>/` (`ShardScores`), resuming a previous run.
    /// - Returns: the shard's run (manifest and folder).
    public static func evaluateShard(graph: Graph, model: URL, modelName: String, options: [String: String], dataset: Dataset,
                                     preprocessing: Preprocessing, batchSize: Int, shard: Shard, output: URL,
                                     progress: ProgressHandler? = nil) throws -> ShardRun {
        let outputs = graph.valueShapes[graph.output.index][0]
        guard outputs == dataset.classes.count else {
            throw LRPError("the model has \(outputs) outputs but the dataset has \(dataset.classes.count) classes (one model output per dataset class, in sorted class order)")
        }
        let context: [String: JSONValue] = [
            "classes": try JSONValue(any: dataset.classes), "classNames": try JSONValue(any: dataset.classNames),
            "report": try JSONValue(any: reportContext(graph: graph, modelName: modelName, dataset: dataset, preprocessing: preprocessing)),
        ]
        let items = shard.members(of: Array(dataset.items.indices)).map {
            ShardManifest.Item(id: dataset.items[$0].id, position: $0, labels: dataset.items[$0].labels)
        }
        let fresh = ShardManifest(tool: "lrp-cnn", command: "eval", modelSHA256: try SHA256.hex(file: model), options: options,
                                  shard: shard, totalItems: dataset.items.count, context: context, items: items)
        let run = try ShardRun(output: output, fresh: fresh)
        let scorer = try BatchScoring(graph: graph)
        try ShardScores(run: run, classCount: outputs).complete(chunkSize: batchSize * 4, progress: progress) { indices in
            let urls = indices.map { dataset.items[run.manifest.items[$0].position].url }
            let (rows, failures) = try scorer.logits(images: urls, preprocessing: preprocessing, batchSize: batchSize, progress: nil)
            var messages = failures.makeIterator()
            return rows.map { row in row.map { .scores($0) } ?? .failed(messages.next() ?? "unreadable image") }
        }
        return run
    }
}
