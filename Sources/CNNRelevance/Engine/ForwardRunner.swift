import CKernels
import Foundation
import LRPCore

/// Runs a prepared graph forward on a batch and keeps the values the relevance pass reads
/// (`keep`); every other value is released as soon as its last reader has run, so its memory
/// is reused by later layers. Reshape-like layers share their input's buffer.
struct ForwardRunner {
    let graph: PreparedGraph
    /// The rule of every node, by node index (all `.none` for a plain forward pass).
    let rules: [NodeRule]
    /// Values to keep after the pass, by value index.
    let keep: [Bool]
    /// Whether rules keep their forward products (`ForwardStep.keepProducts`).
    var keepProducts = true

    /// The values the relevance pass reads under `rules` (each layer declares them in `reads`),
    /// plus the input and the logits. The flat region reads none, so the same set serves every cut-off.
    static func valuesRead(_ graph: PreparedGraph, rules: [NodeRule]) -> [Bool] {
        var keep = Array(repeating: false, count: graph.shapes.count)
        keep[0] = true
        keep[graph.logitValue] = true
        for node in graph.nodes {
            let reads = node.layer.reads(rules[node.index])
            for (k, v) in node.inputs.enumerated() where reads.readsInput(k) { keep[v] = true }
            if reads.output { keep[node.output] = true }
        }
        return keep
    }

    func run(input: FloatBuffer, batch: Int, context ctx: EngineContext) throws
        -> (values: [FloatBuffer?], saved: [Int: SavedProducts]) {
        var values = [FloatBuffer?](repeating: nil, count: graph.shapes.count)
        var saved: [Int: SavedProducts] = [:]
        var lastRead = Array(repeating: -1, count: graph.shapes.count)
        for node in graph.nodes { node.inputs.forEach { lastRead[$0] = node.index } }
        values[0] = input
        for node in graph.nodes {
            var step = ForwardStep(inputs: node.inputs.map { values[$0]! }, layouts: graph.layouts(of: node),
                                   rule: rules[node.index], context: ctx)
            step.keepProducts = keepProducts
            let (y, kept) = try node.layer.forward(step)
            values[node.output] = y
            if let kept { saved[node.index] = kept }
            for v in node.inputs + [node.output] where !keep[v] && lastRead[v] <= node.index {
                values[v] = nil
            }
        }
        return (values, saved)
    }
}
