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

    @Option(help: "Number of classes to show per image.")
    var top: Int = 5

    @Option(help: "Images per forward batch.")
    var batch: Int = 8

    func validate() throws {
        guard top >= 1 else { throw LRPError("--top must be at least 1 (got \(top))") }
        guard batch >= 1 else { throw LRPError("--batch must be at least 1 (got \(batch))") }
        guard !images.isEmpty || !inputNpy.isEmpty else { throw ValidationError("no input: give image files or --input-npy FILE") }
    }

    func run() throws {
        let sources = inputSources(images: images, npy: inputNpy)
        for s in sources where !FileManager.default.fileExists(atPath: s.url.path) {
            throw LRPError("\(s.url.path): no such file")
        }
        let loaded = try modelOptions.load()
        let (graph, labels) = (loaded.graph, loaded.labels)
        let preprocessing = modelOptions.preprocessing(for: graph)
        let scorer = try BatchScoring(graph: graph)
        for start in stride(from: 0, to: sources.count, by: batch) {
            let part = Array(sources[start..<min(sources.count, start + batch)])
            let inputs = try InputPreparation.prepare(part, graph: graph, preprocessing: preprocessing)
            let rows = try scorer.logits(inputs)
            for (input, row) in zip(inputs, rows) {
                print(input.source.path + (input.sampleIndex.map { "[\($0)]" } ?? ""))
                for (rank, p) in Ranking.top(row[...], k: top, graph: graph, labels: labels).enumerated() {
                    print(String(format: "  %d. %@ (%d)  logit %.4f  p %.4f", rank + 1, p.label, p.classIndex, p.logit, p.probability))
                }
            }
        }
    }
}
