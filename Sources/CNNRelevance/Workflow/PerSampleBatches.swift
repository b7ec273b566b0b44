import Foundation
import LRPCore

/// Batches whose bad samples fail alone (docs/DESIGN.md §7.5): an input that cannot be read, or
/// a batch whose forward or relevance pass fails (e.g. a non-finite result), must not take the
/// other images with it.
enum PerSampleBatches {
    /// Prepares each source on all cores and hands the good ones to `body` in runs of
    /// consecutive sources, with each failed source's `onFailure` call in between: everything
    /// happens in source order, so `--fail-fast` stops after the inputs before the bad one.
    static func prepare(_ sources: [InputSource], graph: Graph, preprocessing: Preprocessing,
                        onFailure: ItemFailureHandler, _ body: ([PreparedInput]) throws -> Void) throws {
        var run: [PreparedInput] = []
        for (source, result) in zip(sources, InputPreparation.prepareEach(sources, graph: graph, preprocessing: preprocessing)) {
            switch result {
            case .success(let p): run += p
            case .failure(let e):
                if !run.isEmpty { try body(run) }
                run = []
                try onFailure(source.url, e)
            }
        }
        if !run.isEmpty { try body(run) }
    }

    /// Runs `body` on the whole batch; if it fails, runs each sample alone so that only the bad
    /// ones fail (the valid path pays nothing extra). Returns the (sub-)batches that worked with
    /// their results.
    static func compute<T>(_ inputs: [PreparedInput], onFailure: ItemFailureHandler,
                           _ body: ([PreparedInput]) throws -> T) throws -> [([PreparedInput], T)] {
        guard !inputs.isEmpty else { return [] }
        do {
            return [(inputs, try body(inputs))]
        } catch where inputs.count > 1 {
            var done: [([PreparedInput], T)] = []
            for input in inputs { done += try compute([input], onFailure: onFailure, body) }
            return done
        } catch {
            try onFailure(inputs[0].source, error)
            return []
        }
    }
}
