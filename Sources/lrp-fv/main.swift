import ArgumentParser
import CLISupport

/// `lrp-fv`: train, evaluate and explain Fisher-vector classifiers (docs/DESIGN.md §3–§5).
struct LrpFv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp-fv",
        abstract: "Fisher-vector image classifiers (dense SIFT, PCA, GMM, improved Fisher vectors, linear SVMs) and their relevance heatmaps.",
        subcommands: [TrainCommand.self, EvalCommand.self, ExplainCommand.self, EncodeCommand.self, MergeCommand.self, SiftCommand.self]
    )
}

CommandLineRunner.run(LrpFv.self)
