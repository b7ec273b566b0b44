import ArgumentParser
import CKernels
import CLISupport
import Foundation

/// `lrp-bench`: benchmarks side by side with the reference implementations (zennit, VLFeat).
/// Subcommands live in their own files: `cnn` (CNNBench.swift), `fv` (FVBench.swift).
struct LRPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp-bench",
        abstract: "Benchmarks of the LRP toolkit against zennit and VLFeat (times and ratios; asserts nothing).",
        subcommands: [CNNBench.self, FVBench.self])
}

// The engine is timed as lrp-cnn runs it: freed large blocks stay in the process instead of
// being returned to the kernel and re-faulted by the next batch (DESIGN §10.2). Without this,
// a batch-8 alpha-beta explanation spent a fifth of its wall time in page faults.
// LRP_MALLOC_DEFAULTS=1 keeps glibc's defaults, to measure what the setting changes.
let keepsFreedMemory = ProcessInfo.processInfo.environment["LRP_MALLOC_DEFAULTS"] != "1" && lrp_keep_freed_memory() != 0
CommandLineRunner.run(LRPBench.self)
