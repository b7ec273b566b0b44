import ArgumentParser
import Foundation
import LRPCore

/// `lrp-bench`: benchmarks side by side with the reference implementations (zennit, VLFeat).
/// Subcommands live in their own files: `cnn` (CNNBench.swift), `fv` (FVBench.swift).
struct LRPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp-bench",
        abstract: "Benchmarks of the LRP toolkit against zennit and VLFeat (times and ratios; asserts nothing).",
        subcommands: [CNNBench.self, FVBench.self])
}

// Argument errors and help keep ArgumentParser's output; anything a library throws becomes one
// `error: <message>` line on stderr with exit status 1.
var command: ParsableCommand
do {
    command = try LRPBench.parseAsRoot()
} catch {
    LRPBench.exit(withError: error)
}
do {
    try command.run()
} catch let e as ExitCode {
    exit(e.rawValue)
} catch where LRPBench.exitCode(for: error) == .success {
    // `lrp-bench` without a subcommand asks for its help.
    print(LRPBench.fullMessage(for: error))
    exit(0)
} catch {
    FileHandle.standardError.write(Data("error: \(error.userMessage)\n".utf8))
    exit(1)
}
