import ArgumentParser
import CLISupport
import Evaluation
import FisherVectors
import Foundation
import LRPCore

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a dataset split: per-class average precision (VOC 2007), mAP and top-1, as a table and JSON.")

    @Option(help: "Model file (default: the bundled Models/fisher_imagenette.safetensors).") var model: String?
    @Option(help: "Dataset root folder.") var dataset: String
    @Option(help: "Split to evaluate.") var split = "val"
    @Option(help: "Dataset layout: imagenet or voc.") var layout: DatasetLayout = .imagenet
    @Option(help: "Also write the results as JSON to this file.") var json: String?
    @Option(help: "With a shard: the output folder that gets the shard's folder (scores and manifest).") var out: String?
    @OptionGroup var shardOptions: ShardOptions

    func validate() throws {
        try OptionRange.path("--model", model)
        try OptionRange.path("--json", json)
        try OptionRange.path("--out", out)
    }

    func run() throws {
        let shard = try shardOptions.resolve()
        if shard != nil, out == nil { throw ValidationError("a sharded eval needs --out DIR for the shard's scores") }
        let modelURL = try ModelArgument.resolve(model, bundled: bundledFisherModel)
        let m = try ModelFile.read(modelURL)
        let data = try Dataset.load(root: URL(fileURLWithPath: dataset), layout: layout, split: split)
        SkipReport.print("skipped dataset entries", data.warnings)
        let printer = ProgressPrinter()
        if let shard, let out {
            let context: [String: JSONValue] = ["report": try JSONValue(any: ["dataset": dataset, "split": split, "datasetWarnings": data.warnings])]
            let run = try FisherVectorEvaluator.evaluateShard(
                model: m, modelURL: modelURL, options: ["dataset": dataset, "split": split, "layout": layout.rawValue],
                dataset: data, context: context, shard: shard, output: URL(fileURLWithPath: out), progress: printer.handler)
            ShardReports.summary(run)
            return
        }
        let result = try FisherVectorEvaluator.evaluate(model: m, dataset: data, progress: printer.handler)
        SkipReport.print("skipped images", result.skippedImages)
        try EvalCommand.report(result.report, skippedImages: result.skippedImages, datasetWarnings: result.datasetWarnings,
                               dataset: dataset, split: split, json: json)
    }

    /// Prints the table and writes the JSON report (the same for an unsharded run and merged shards).
    static func report(_ report: EvaluationReport, skippedImages: [String], datasetWarnings: [String], dataset: String,
                       split: String, json: String?) throws {
        print(report.table(title: "Fisher-vector classifier on \(dataset) (\(split))"))
        if let json {
            var object = report.json
            object["skippedImages"] = skippedImages
            object["datasetWarnings"] = datasetWarnings
            object["dataset"] = dataset
            object["split"] = split
            try AtomicFile.write(try JSONOutput.encode(object), to: URL(fileURLWithPath: json))
        }
    }
}

/// The model used without `--model`.
let bundledFisherModel = "fisher_imagenette.safetensors"
