import ArgumentParser
import LRPCore

/// `lrp-compare report` (docs/DESIGN.md §10). Under construction: see issue 8.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A browsable, self-contained HTML report over a dataset folder.")

    func run() throws {
        throw LRPError("lrp-compare report is not built yet")
    }
}
