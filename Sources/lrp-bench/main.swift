import ArgumentParser
import CLISupport

/// `lrp-bench`: benchmarks side by side with the reference implementations (zennit, VLFeat).
/// Subcommands live in their own files: `cnn` (CNNBench.swift), `fv` (FVBench.swift).
struct LRPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp-bench",
        abstract: "Benchmarks of the LRP toolkit against zennit and VLFeat (times and ratios; asserts nothing).",
        subcommands: [CNNBench.self, FVBench.self])
}

CommandLineRunner.run(LRPBench.self)
