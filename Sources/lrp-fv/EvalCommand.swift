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

    func run() throws {
        let m = try ModelFile.read(try ModelArgument.resolve(model, bundled: bundledFisherModel))
        let data = try Dataset.load(root: URL(fileURLWithPath: dataset), layout: layout, split: split)
        SkipReport.print("skipped dataset entries", data.warnings)
        let printer = ProgressPrinter()
        let result = try FisherVectorEvaluator.evaluate(model: m, dataset: data, progress: printer.handler)
        SkipReport.print("skipped images", result.skippedImages)
        print(result.report.table(title: "Fisher-vector classifier on \(dataset) (\(split))"))
        if let json {
            var object = result.report.json
            object["skippedImages"] = result.skippedImages
            object["datasetWarnings"] = result.datasetWarnings
            object["dataset"] = dataset
            object["split"] = split
            try AtomicFile.write(try JSONOutput.encode(object), to: URL(fileURLWithPath: json))
        }
    }
}

/// The model used without `--model`.
let bundledFisherModel = "fisher_imagenette.safetensors"
