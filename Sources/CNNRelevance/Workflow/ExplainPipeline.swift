import Foundation
import LRPCore

/// The explain run as a three-stage pipeline (docs/DESIGN.md §5.4): while batch i is explained,
/// batch i+1 is decoded and preprocessed on another thread and batch i−1 is rendered and written
/// on a third. At most one batch waits in each stage, so memory stays at about three batches
/// whatever the number of inputs. `onSample` still runs on the caller's thread, in input order.
extension ExplainRun {
    func runPipelined(_ sources: [InputSource], onFailure: ItemFailureHandler,
                      onSample: (ExplainedSample) throws -> Void) throws {
        let size = settings.batchSize
        let chunks = stride(from: 0, to: sources.count, by: size).map {
            Array(sources[$0..<min(sources.count, $0 + size)])
        }
        let (graph, preprocessing) = (self.graph, settings.preprocessing)
        // Each source is prepared on its own, so that a bad picture fails alone (§7.5).
        func decode(_ i: Int) -> BackgroundTask<[Result<[PreparedInput], Error>]>? {
            guard i < chunks.count else { return nil }
            let part = chunks[i]
            return BackgroundTask { InputPreparation.prepareEach(part, graph: graph, preprocessing: preprocessing) }
        }
        var taken = Set<String>()
        var next = decode(0)
        var writing: BackgroundTask<[(source: URL, outcome: Result<ExplainedSample, Error>)]>?
        // No background task outlives the run, whatever it throws.
        defer {
            _ = try? next?.wait()
            _ = try? writing?.wait()
        }
        /// Waits for the batch being written and reports its samples and failures, in input order.
        func finishWriting() throws {
            guard let task = writing else { return }
            writing = nil
            for (source, outcome) in try task.wait() {
                switch outcome {
                case .success(let sample): try onSample(sample)
                case .failure(let error): try onFailure(source, error)
                }
            }
        }
        /// Explains consecutive good inputs; a failure of the forward or relevance pass is retried
        /// sample by sample (`PerSampleBatches.compute`) and reported after the batch before it,
        /// so that every report stays in input order.
        func explain(_ inputs: [PreparedInput]) throws {
            // An .npy file may hold more samples than a batch; split it further.
            for sub in stride(from: 0, to: inputs.count, by: size) {
                let batch = Array(inputs[sub..<min(inputs.count, sub + size)])
                var failures: [(URL, Error)] = []
                let parts = try PerSampleBatches.compute(batch, onFailure: { failures.append(($0, $1)) }, compute)
                try finishWriting()
                for (url, error) in failures { try onFailure(url, error) }
                for (part, computed) in parts {
                    let stems = Self.stems(for: part, taken: &taken)
                    try finishWriting()
                    writing = BackgroundTask { [self] in self.write(computed, stems: stems) }
                }
            }
        }
        do {
            for i in chunks.indices {
                let prepared = try next!.wait()
                next = decode(i + 1)
                var run: [PreparedInput] = []
                for (source, result) in zip(chunks[i], prepared) {
                    switch result {
                    case .success(let p): run += p
                    case .failure(let error):
                        try explain(run)
                        run = []
                        try finishWriting()
                        try onFailure(source.url, error)
                    }
                }
                try explain(run)
            }
            try finishWriting()
        } catch {
            // What was already explained is still written and reported before the error.
            try? finishWriting()
            throw error
        }
    }
}

/// A closure run on its own thread; `wait` returns its result or rethrows its error.
final class BackgroundTask<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?

    init(_ work: @escaping () throws -> T) {
        let thread = Thread { [self] in
            result = Result { try work() }
            done.signal()
        }
        thread.stackSize = 8 << 20  // as the main thread's: decoding, rendering and JSON encoding run here
        thread.start()
    }

    /// Blocks until the work has finished; may be called more than once.
    func wait() throws -> T {
        done.wait()
        done.signal()
        return try result!.get()
    }
}
