import ArgumentParser
import LRPCore

/// `lrp-compare faithfulness` (docs/DESIGN.md §10). Under construction: see issue 8.
struct FaithfulnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faithfulness",
        abstract: "Faithfulness by region perturbation (MoRF/LeRF, AOPC, ABPC) for every method.")

    func run() throws {
        throw LRPError("lrp-compare faithfulness is not built yet")
    }
}
