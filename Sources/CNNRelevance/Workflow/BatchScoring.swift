import Foundation
import LRPCore

/// Forward passes only (`predict`, `eval`): logits per sample, in batches.
public final class BatchScoring {
    public let graph: Graph
    private let model: ForwardModel

    public init(graph: Graph) throws {
        self.graph = graph
        self.model = try ForwardModel(graph: graph)
    }

    /// Logits `[classes]` of each prepared sample.
    public func logits(_ inputs: [PreparedInput]) throws -> [[Float]] {
        guard !inputs.isEmpty else { return [] }
        let logits = try model.logits(InputPreparation.batch(inputs, graph: graph))
        let k = logits.shape.last ?? 0
        return (0..<inputs.count).map { Array(logits.data[$0 * k..<($0 + 1) * k]) }
    }

    /// Logits of each sample of `sources` (`predict`), in batches, given to `onRow` in order. A
    /// source that fails (unreadable, wrong shape, non-finite logits) goes to `onFailure` and the
    /// others are still scored unless the handler throws (docs/DESIGN.md §7.5).
    public func logits(_ sources: [InputSource], preprocessing: Preprocessing, batchSize: Int,
                       onFailure: ItemFailureHandler, onRow: (PreparedInput, [Float]) throws -> Void) throws {
        guard batchSize >= 1 else { throw LRPError("batch size must be at least 1, got \(batchSize)") }
        for start in stride(from: 0, to: sources.count, by: batchSize) {
            let part = Array(sources[start..<min(sources.count, start + batchSize)])
            try PerSampleBatches.prepare(part, graph: graph, preprocessing: preprocessing, onFailure: onFailure) { inputs in
                for sub in stride(from: 0, to: inputs.count, by: batchSize) {
                    let batch = Array(inputs[sub..<min(inputs.count, sub + batchSize)])
                    for (done, rows) in try PerSampleBatches.compute(batch, onFailure: onFailure, logits) {
                        for (input, row) in zip(done, rows) { try onRow(input, row) }
                    }
                }
            }
        }
    }

    /// Logits of many pictures (a dataset): unreadable pictures are skipped, giving nil and one
    /// line in `failures`. Progress is reported per batch as stage "forward".
    public func logits(images: [URL], preprocessing: Preprocessing, batchSize: Int,
                       progress: ProgressHandler?) throws -> (rows: [[Float]?], failures: [String]) {
        guard batchSize >= 1 else { throw LRPError("batch size must be at least 1, got \(batchSize)") }
        var rows = [[Float]?](repeating: nil, count: images.count)
        var failures: [String] = []
        for start in stride(from: 0, to: images.count, by: batchSize) {
            let range = start..<min(images.count, start + batchSize)
            let slots = ParallelSlots<Result<PreparedInput, Error>>(count: range.count)
            Parallel.forEach(range.count) { i in
                slots.set(i, Result { try InputPreparation.image(images[range.lowerBound + i], graph: graph, preprocessing: preprocessing) })
            }
            var ok: [(Int, PreparedInput)] = []
            for (i, r) in slots.all().enumerated() {
                switch r {
                case .success(let p)?: ok.append((range.lowerBound + i, p))
                case .failure(let e)?: failures.append(e.userMessage)
                case nil: failures.append("\(images[range.lowerBound + i].path): not processed")
                }
            }
            let out = try logits(ok.map(\.1))
            for (k, (i, _)) in ok.enumerated() { rows[i] = out[k] }
            progress?(ProgressEvent(stage: "forward", done: range.upperBound, total: images.count,
                                    detail: failures.isEmpty ? "" : "\(failures.count) unreadable images skipped"))
        }
        return (rows, failures)
    }
}
