import Evaluation
import Foundation
import LRPCore

/// Scores a dataset split with a trained model: per-class AP (VOC 2007), mAP and top-1 via
/// the Evaluation library. Images are encoded in parallel; unreadable ones are skipped and
/// listed.
public enum FisherVectorEvaluator {
    public struct Result: Sendable {
        public var report: EvaluationReport
        public var skippedImages: [String]
        public var datasetWarnings: [String]
    }

    /// - Throws: `LRPError` if the dataset has a class the model does not know, or no image
    ///   could be scored.
    public static func evaluate(model: FisherVectorModel, dataset: Dataset, progress: ProgressHandler? = nil) throws -> Result {
        BLASThreads.apply()
        // Dataset class c ↦ model class.
        let mapping = try dataset.classes.map { id -> Int in
            guard let m = model.classes.firstIndex(of: id) else {
                throw LRPError("dataset class \(id) is not one of the model's \(model.classes.count) classes")
            }
            return m
        }
        let encoder = ImageEncoder(model: model)
        let items = dataset.items
        let scores = ParallelSlots<[Float]>(count: items.count)
        let skipped = SkipLog()
        let counter = Counter()
        Parallel.forEach(items.count) { i in
            defer {
                let done = counter.increment()
                if done % 50 == 0 || done == items.count {
                    progress?(ProgressEvent(stage: "eval", done: done, total: items.count, detail: skipped.countDetail))
                }
            }
            do {
                let encoding = try encoder.encode(try ImageEncoder.loadImage(items[i].url), threads: 1)
                scores.set(i, model.svms.scores(encoding.fisherVector))
            } catch {
                skipped.add(items[i].url, error)
            }
        }
        var allScores: [[Float]] = [], allLabels: [[Int8]] = []
        for i in items.indices {
            guard let s = scores.get(i) else { continue }
            allScores.append(mapping.map { s[$0] })
            allLabels.append(items[i].labels)
        }
        guard !allScores.isEmpty else { throw LRPError("none of the \(items.count) images could be scored") }
        let report = EvaluationReport(classes: dataset.classes, classNames: dataset.classNames, scores: allScores, labels: allLabels)
        return Result(report: report, skippedImages: skipped.lines, datasetWarnings: dataset.warnings)
    }

    /// One shard of an evaluation (docs/DESIGN.md §9): scores the shard's images that are not
    /// done yet into `<output>/<shard folder>/` (`ShardScores`), resuming a previous run.
    /// `context` holds the report fields the merge needs besides the scores.
    public static func evaluateShard(model: FisherVectorModel, modelURL: URL, options: [String: String], dataset: Dataset,
                                     context: [String: JSONValue], shard: Shard, output: URL,
                                     progress: ProgressHandler? = nil) throws -> ShardRun {
        BLASThreads.apply()
        let mapping = try dataset.classes.map { id -> Int in
            guard let m = model.classes.firstIndex(of: id) else {
                throw LRPError("dataset class \(id) is not one of the model's \(model.classes.count) classes")
            }
            return m
        }
        var context = context
        context["classes"] = try JSONValue(any: dataset.classes)
        context["classNames"] = try JSONValue(any: dataset.classNames)
        let items = shard.members(of: Array(dataset.items.indices)).map {
            ShardManifest.Item(id: dataset.items[$0].id, position: $0, labels: dataset.items[$0].labels)
        }
        let fresh = ShardManifest(tool: "lrp-fv", command: "eval", modelSHA256: try SHA256.hex(file: modelURL), options: options,
                                  shard: shard, totalItems: dataset.items.count, context: context, items: items)
        let run = try ShardRun(output: output, fresh: fresh)
        let encoder = ImageEncoder(model: model)
        try ShardScores(run: run, classCount: dataset.classes.count).complete(chunkSize: 8 * Parallel.workerCount, progress: progress) { indices in
            let slots = ParallelSlots<ShardScores.Outcome>(count: indices.count)
            Parallel.forEach(indices.count) { k in
                let url = dataset.items[run.manifest.items[indices[k]].position].url
                do {
                    let s = model.svms.scores(try encoder.encode(try Image.load(url), threads: 1).fisherVector)
                    slots.set(k, .scores(mapping.map { s[$0] }))
                } catch {
                    slots.set(k, .failed(skipLine(url, error)))
                }
            }
            return (0..<indices.count).map { slots.get($0)! }
        }
        return run
    }
}
