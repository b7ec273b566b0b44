import ArgumentParser
import Foundation
import LRPCore

/// `--fail-fast`, shared by every command that takes several images.
public struct BatchOptions: ParsableArguments {
    @Flag(name: .customLong("fail-fast"), help: "Stop at the first image that fails (default: report it and go on with the others).")
    public var failFast = false

    public init() {}
}

/// Thrown by `BatchRun.failure` under `--fail-fast` to stop the run; the image's error line is
/// already printed.
public struct BatchStopped: Error {}

/// The per-image batch behaviour of every command that takes several images (docs/DESIGN.md §7.5):
/// a bad image gets one `error: <path>: <reason>` line and the others are still processed
/// (`--fail-fast` stops at the first), a final line counts successes and failures, and the exit
/// status is 1 if any image failed. Whole-run errors (options, model) are thrown before the
/// batch starts and are not counted here.
public final class BatchRun {
    public let failFast: Bool
    /// Distinct inputs (an `.npy` file with several samples is one input).
    public let total: Int
    /// What a success is called in the final line ("explained", "predicted").
    public let verb: String
    private var succeededPaths = Set<String>()
    private var failedPaths = Set<String>()
    private var stopped = false

    public init(sources: [URL], verb: String, failFast: Bool) {
        self.total = Set(sources.map(\.path)).count
        self.verb = verb
        self.failFast = failFast
    }

    /// Inputs whose every sample was written (or printed) and none failed.
    public var succeeded: Int { succeededPaths.subtracting(failedPaths).count }
    public var failed: Int { failedPaths.count }

    /// Counts an input whose output is complete.
    public func success(_ input: URL) { succeededPaths.insert(input.path) }

    /// Reports a failed input: one `error:` line naming it (once per input); under
    /// `--fail-fast` throws `BatchStopped` so that the library stops.
    public func failure(_ input: URL, _ error: Error) throws {
        if failedPaths.insert(input.path).inserted { Stderr.error(Self.message(for: input, error)) }
        if failFast {
            stopped = true
            throw BatchStopped()
        }
    }

    /// The handler libraries call for a failed input (`ItemFailureHandler`).
    public var handler: ItemFailureHandler { { [self] url, error in try failure(url, error) } }

    /// Runs the batch body: a `BatchStopped` from `--fail-fast` ends it quietly, other errors
    /// (whole-run failures) pass through.
    public func run(_ body: () throws -> Void) throws {
        do { try body() } catch is BatchStopped {}
    }

    /// Prints the final count line and throws `ExitCode(1)` if any image failed.
    public func finish() throws {
        let noun = total == 1 ? "image" : "images"
        var line = "\(verb) \(succeeded) of \(total) \(noun)"
        if failed > 0 { line += "; \(failed) failed" }
        if stopped { line += "; stopped at the first failure (--fail-fast)" }
        Stderr.line(line)
        if failed > 0 { throw ExitCode(1) }
    }

    /// `<path>: <reason>` with the path as the user gave it, once: a library message that
    /// already starts with the file's path keeps it as its prefix.
    static func message(for input: URL, _ error: Error) -> String {
        let reason = (error as? LRPError)?.message ?? "\(error)"
        for prefix in [input.path, input.relativePath] where reason.hasPrefix(prefix + ": ") {
            return input.relativePath + ": " + reason.dropFirst(prefix.count + 2)
        }
        return "\(input.relativePath): \(reason)"
    }
}
