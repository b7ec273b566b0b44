import ArgumentParser
import LRPCore

/// `lrp-compare figure` (docs/DESIGN.md §10). Under construction: see issue 8.
struct FigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Figure-1 panels: both models, fine and coarse maps, on the photograph's geometry.")

    func run() throws {
        throw LRPError("lrp-compare figure is not built yet")
    }
}
