import ArgumentParser
import CNNRelevance
import Foundation
import LRPCore

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the layers of a model: output shape, receptive field, and the names and K values --cutoff and --rules use.")

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let loaded = try modelOptions.load()
        let (graph, url) = (loaded.graph, loaded.url)
        let rows = graph.layerTable()
        let outputs = graph.valueShapes[graph.output.index][0]
        print("model \(url.path)")
        print("input '\(graph.inputName)' \(shape(graph.inputShape)), \(outputs) outputs\(graph.removedOutputSoftmax ? " (final Softmax removed: the logits are explained)" : "")")
        print("")
        let table: [[String]] = [["#", "K", "name", "op", "output", "receptive field", "jump"]] + rows.map { r in
            let rf = r.receptiveField
            let field = rf.isGlobal ? "global" : (rf.sizeH == rf.sizeW ? "\(rf.sizeH)" : "\(rf.sizeH)x\(rf.sizeW)")
            let jump = rf.isGlobal ? "-" : (rf.jumpH == rf.jumpW ? "\(rf.jumpH)" : "\(rf.jumpH)x\(rf.jumpW)")
            return ["\(r.index)", r.mappingIndex.map(String.init) ?? "", r.name, r.operation, shape(r.outputShape), field, jump]
        }
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max() ?? 0 }
        for row in table {
            print(row.enumerated().map { c, s in s + String(repeating: " ", count: widths[c] - s.count) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        print("")
        print("--rules FILE selects layers by these names and K numbers (\"name\", \"layers\": \"K\" or \"K1-K2\").")
        print("--cutoff accepts 0...\(graph.mappingLayerCount) (0 = no cut-off; K = the conv/linear layer marked K and all below it become flat) or 'all'.")
    }

    private func shape(_ s: [Int]) -> String { s.map(String.init).joined(separator: "x") }
}
