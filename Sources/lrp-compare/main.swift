import ArgumentParser
import CLISupport
import CKernels

/// `lrp-compare`: both model families side by side (docs/DESIGN.md §10): Figure-1 panels,
/// faithfulness of every decomposition depth by region perturbation, and a browsable report.
struct LrpCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp-compare",
        abstract: "Compare the CNN and the Fisher-vector model on the same images: Figure-1 panels, faithfulness (AOPC/ABPC) per decomposition depth, and an HTML report.",
        subcommands: [FigureCommand.self, FaithfulnessCommand.self, ReportCommand.self]
    )
}

// Region perturbation re-scores thousands of batches, allocating and freeing the same large
// buffers each time. glibc would hand them back to the kernel on every free (mmap/munmap) and
// re-fault their pages on the next batch: a third of the CPU time went to the kernel. Keep
// them in the process instead (measured in docs/DESIGN.md §10.2).
_ = lrp_keep_freed_memory()
CommandLineRunner.run(LrpCompare.self)
