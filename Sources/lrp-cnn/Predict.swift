import ArgumentParser
import CLISupport
import CNNRelevance
import Foundation
import LRPCore

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the model's top-k classes for images.")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "JPEG or PNG images.")
    var images: [String] = []

    @Option(name: .customLong("input-npy"), help: "Exact input tensor [N,C,H,W] or [C,H,W] (.npy); repeatable.")
    var inputNpy: [String] = []

    @Option(parsing: .unconditional, help: "Number of classes to show per image.")
    var top: Int = 5

    @Option(parsing: .unconditional, help: "Images per forward batch.")
    var batch: Int = 8

    @OptionGroup var batchOptions: BatchOptions

    func validate() throws {
        guard !images.isEmpty || !inputNpy.isEmpty else { throw ValidationError("no input: give image files or --input-npy FILE") }
        try OptionRange.check("--top", top, atLeast: 1)
        try OptionRange.check("--batch", batch, atLeast: 1)
    }

    func run() throws {
        let sources = inputSources(images: images, npy: inputNpy)
        let loaded = try modelOptions.load()
        let (graph, labels) = (loaded.graph, loaded.labels)
        let scorer = try BatchScoring(graph: graph)
        // A bad image gets its error line and the others are still predicted (docs/DESIGN.md §7.5).
        let batchRun = BatchRun(sources: sources.map(\.url), verb: "predicted", failFast: batchOptions.failFast)
        try batchRun.run {
            try scorer.logits(sources, preprocessing: modelOptions.preprocessing(for: graph), batchSize: batch,
                              onFailure: batchRun.handler) { input, row in
                print(input.source.path + (input.sampleIndex.map { "[\($0)]" } ?? ""))
                for (rank, p) in Ranking.top(row[...], k: top, graph: graph, labels: labels).enumerated() {
                    print(String(format: "  %d. %@ (%d)  logit %.4f  p %.4f", rank + 1, p.label, p.classIndex, p.logit, p.probability))
                }
                batchRun.success(input.source)
            }
        }
        try batchRun.finish()
    }
}
