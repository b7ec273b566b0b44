import ArgumentParser
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
    var layout: String = "imagenet"

    @Option(help: "Report file (JSON).")
    var out: String

    @Option(help: "Images per forward batch.")
    var batch: Int = 16

    func run() throws {
        guard let datasetLayout = DatasetLayout(rawValue: layout) else {
            throw LRPError("--layout must be imagenet or voc (got '\(layout)')")
        }
        let data = try Dataset.load(root: URL(fileURLWithPath: dataset), layout: datasetLayout, split: split)
        for w in data.warnings { CLIOutput.progress("warning: \(w)") }
        let loaded = try modelOptions.load()
        let (graph, modelURL) = (loaded.graph, loaded.url)
        let outputs = graph.valueShapes[graph.output.index][0]
        guard outputs == data.classes.count else {
            throw LRPError("the model has \(outputs) outputs but the dataset has \(data.classes.count) classes; map them with --classes (one model class per dataset class, in sorted class order)")
        }
        let scorer = try BatchScoring(graph: graph)
        let start = Date()
        let (rows, failures) = try scorer.logits(
            images: data.items.map(\.url), preprocessing: modelOptions.preprocessing(for: graph), batchSize: batch
        ) { event in
            CLIOutput.progress("forward \(event.done)/\(event.total)\(event.detail.isEmpty ? "" : " (\(event.detail))")")
        }
        if !failures.isEmpty {
            CLIOutput.progress("warning: skipped \(failures.count) unreadable images, e.g. \(failures[0])")
        }
        var scores: [[Float]] = [], labels: [[Int8]] = []
        for (item, row) in zip(data.items, rows) {
            guard let row else { continue }
            scores.append(row)
            labels.append(item.labels)
        }
        guard !scores.isEmpty else { throw LRPError("no readable images in the dataset") }
        let report = EvaluationReport(classes: data.classes, classNames: data.classNames, scores: scores, labels: labels)
        var json = report.json
        json["model"] = modelURL.path
        json["dataset"] = data.root.path
        json["split"] = split
        json["layout"] = layout
        json["skippedImages"] = failures.count
        json["seconds"] = Date().timeIntervalSince(start)
        if let classes = graph.outputClasses { json["modelClasses"] = classes }
        json["input"] = modelOptions.preprocessing(for: graph).summary
        try AtomicFile.write(try JSONOutput.encode(json), to: URL(fileURLWithPath: out))
        print(report.table(title: "\(modelURL.lastPathComponent) on \(data.root.lastPathComponent)/\(split)"))
        print("report written to \(out)")
    }
}
