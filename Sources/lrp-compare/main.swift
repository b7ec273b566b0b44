import ArgumentParser
import CLISupport

/// `lrp-compare`: both model families side by side (docs/DESIGN.md §10): Figure-1 panels,
/// faithfulness of every decomposition depth by region perturbation, and a browsable report.
struct LrpCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp-compare",
        abstract: "Compare the CNN and the Fisher-vector model on the same images: Figure-1 panels, faithfulness (AOPC/ABPC) per decomposition depth, and an HTML report.",
        subcommands: [FigureCommand.self, FaithfulnessCommand.self, ReportCommand.self]
    )
}

CommandLineRunner.run(LrpCompare.self)
