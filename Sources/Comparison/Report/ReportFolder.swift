import Foundation
import LRPCore

/// The report folder under construction (docs/DESIGN.md §10.3, §7.3): everything is written into
/// a hidden staging folder next to the destination (`.<name>.tmp-<pid>`), and only `finish`
/// renames it into place, so a failed or interrupted run (SIGINT/SIGTERM: `PendingFiles` removes
/// the staging folder) never leaves a half-written report. An existing report at the destination
/// is replaced only once the new one is complete.
public final class ReportFolder: @unchecked Sendable {
    public let destination: URL
    public let staging: URL
    private var finished = false

    /// Checks the destination and creates the staging folder.
    /// - Throws: `LRPError` if the destination is a file, or a folder that is neither empty nor
    ///   a report (holding `index.html` and `report.json`): a report never replaces other data.
    public init(destination: URL) throws {
        let dest = destination.standardizedFileURL
        guard dest.path != "/" else { throw LRPError("the report folder cannot be /") }
        self.destination = dest
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dest.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw LRPError("\(dest.path) exists and is not a folder") }
            let entries = (try? fm.contentsOfDirectory(atPath: dest.path)) ?? []
            guard entries.isEmpty || (entries.contains("index.html") && entries.contains("report.json")) else {
                throw LRPError("\(dest.path) exists and is not a report folder (no index.html and report.json); choose another output folder")
            }
        }
        let parent = dest.deletingLastPathComponent()
        try AtomicFile.ensureDirectory(parent)
        staging = parent.appendingPathComponent(".\(dest.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        PendingFiles.trackFolder(staging)
        try AtomicFile.ensureDirectory(staging)
    }

    deinit { if !finished { discard() } }

    /// Writes `data` at `path` (relative, `/`-separated) inside the report and returns `path`.
    @discardableResult
    public func write(_ data: Data, to path: String) throws -> String {
        try AtomicFile.write(data, to: url(path))
        return path
    }

    /// The staging location of a relative path (for writers that take a URL).
    public func url(_ path: String) -> URL { staging.appendingPathComponent(path) }

    /// Writes `report.json` and `index.html`, then puts the folder in place.
    public func finish(_ document: ReportDocument) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try write(try encoder.encode(document), to: "report.json")
        try write(Data(try ReportPage.html(document).utf8), to: "index.html")
        try commit()
    }

    /// Renames the staging folder to the destination; an old report there is moved aside first
    /// and removed once the new one is in place.
    func commit() throws {
        let fm = FileManager.default
        var old: URL?
        if fm.fileExists(atPath: destination.path) {
            let aside = destination.deletingLastPathComponent()
                .appendingPathComponent(".\(destination.lastPathComponent).old-\(getpid())")
            guard rename(destination.path, aside.path) == 0 else {
                throw LRPError("cannot replace \(destination.path): \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(staging.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old.path, destination.path) }
            throw LRPError("cannot move the report to \(destination.path): \(reason)")
        }
        finished = true
        PendingFiles.untrackFolder(staging)
        if let old { try? fm.removeItem(at: old) }
    }

    /// Removes the staging folder (a failed run).
    public func discard() {
        try? FileManager.default.removeItem(at: staging)
        PendingFiles.untrackFolder(staging)
        finished = true
    }
}
