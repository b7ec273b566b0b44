import ArgumentParser
import CLISupport
import CNNRelevance
import Evaluation
import Foundation
import LRPCore

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Per-class AP (VOC 2007), mAP and top-1 of the CNN on a dataset split.",
        discussion: """
            The model's outputs must correspond to the dataset's classes in their sorted order; restrict an \
            ImageNet model with --classes (Imagenette: --classes 0,217,482,491,497,566,569,571,574,701).
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Dataset root folder.")
    var dataset: String

    @Option(help: "Split: a folder (imagenet layout) or an ImageSets/Main list name (voc layout).")
    var split: String = "val"

    @Option(help: "Dataset layout: imagenet or voc.")
    var layout: DatasetLayout = .imagenet

    @Option(help: "Report file (JSON); with a shard, the output folder that gets the shard's folder.")
    var out: String

    @OptionGroup var shardOptions: ShardOptions

    @Option(parsing: .unconditional, help: "Images per forward batch.")
    var batch: Int = 16

    func validate() throws {
        try OptionRange.path("--out", out)
        try OptionRange.check("--batch", batch, atLeast: 1)
    }

    func run() throws {
        let shard = try shardOptions.resolve()
        let data = try Dataset.load(root: URL(fileURLWithPath: dataset), layout: layout, split: split)
        SkipReport.print("skipped dataset entries", data.warnings)
        let loaded = try modelOptions.load()
        let (graph, modelURL) = (loaded.graph, loaded.url)
        let outputs = graph.valueShapes[graph.output.index][0]
        guard outputs == data.classes.count else {
            throw LRPError("the model has \(outputs) outputs but the dataset has \(data.classes.count) classes; map them with --classes (one model class per dataset class, in sorted class order)")
        }
        if let shard {
            let options = ["dataset": dataset, "split": split, "layout": layout.rawValue, "classes": modelOptions.classes ?? "",
                           "preprocess": modelOptions.preprocess.rawValue, "crop": modelOptions.crop.rawValue,
                           "size": "\(graph.inputShape[1])x\(graph.inputShape[2])"]
            let run = try CNNEvaluator.evaluateShard(
                graph: graph, model: modelURL, modelName: modelURL.path, options: options, dataset: data,
                preprocessing: modelOptions.preprocessing(for: graph), batchSize: batch, shard: shard,
                output: URL(fileURLWithPath: out), progress: ProgressPrinter().handler)
            ShardReports.summary(run)
            return
        }
        let result = try CNNEvaluator.evaluate(graph: graph, modelName: modelURL.path, dataset: data,
                                               preprocessing: modelOptions.preprocessing(for: graph), batchSize: batch,
                                               progress: ProgressPrinter().handler)
        SkipReport.print("skipped images", result.skippedImages)
        try AtomicFile.write(try JSONOutput.encode(result.json), to: URL(fileURLWithPath: out))
        print(result.report.table(title: "\(modelURL.lastPathComponent) on \(data.root.lastPathComponent)/\(split)"))
        print("report written to \(out)")
    }
}
