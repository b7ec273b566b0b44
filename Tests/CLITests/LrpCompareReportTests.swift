import Foundation
import LRPCore
import XCTest

/// `lrp-compare report` on bad input (docs/DESIGN.md §10.3, §7.1): one `error:` line, exit 1,
/// and no report — neither at `--out` nor as a staging folder next to it. All of these fail
/// before the long steps, so they take seconds.
final class LrpCompareReportTests: XCTestCase {
    var work: URL!
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-compare-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("out"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    private func report(_ args: [String]) throws -> CommandOutcome {
        try CommandRunner.run("lrp-compare", ["report"] + args + ["--out", work.appendingPathComponent("out/report").path],
                              in: Self.root)
    }

    /// The one error line among the progress lines.
    private func assertOneError(_ r: CommandOutcome, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        XCTAssertEqual(errors.count, 1, r.stderr, file: file, line: line)
        for f in fragments { XCTAssertTrue(errors.first?.contains(f) == true, "'\(r.stderr)' lacks '\(f)'", file: file, line: line) }
        assertNoFiles(work.appendingPathComponent("out"), file: file, line: line)
    }

    func testFolderWithoutImages() throws {
        let empty = work.appendingPathComponent("empty")
        try AtomicFile.write(Data("no pictures here".utf8), to: empty.appendingPathComponent("notes.txt"))
        assertErrorLine(try report([empty.path]), mentions: ["holds no images"], exitStatus: 1)
        assertNoFiles(work.appendingPathComponent("out"))
    }

    /// Unreadable images fail the run (they are not skipped): the faithfulness step reads every
    /// image with both pipelines before the long work starts.
    func testUnreadableImageFailsTheRun() throws {
        let photos = work.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("Samples/chelsea.jpg"),
                                         to: photos.appendingPathComponent("a.jpg"))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).write(to: photos.appendingPathComponent("b.jpg"))
        assertOneError(try report([photos.path, "--steps", "10"]), mentions: ["b.jpg"])
    }

    /// A CNN without class names cannot be restricted to the FV model's classes.
    func testCNNThatCannotBeRestrictedToTheFVClasses() throws {
        let model = Self.root.appendingPathComponent("Tests/Fixtures/cnn-import/odd.o13.folded.onnx")
        assertOneError(try report([Self.root.appendingPathComponent("Samples").path, "--cnn-model", model.path]),
                       mentions: ["cannot be matched", "FV"])
    }

    func testBadOptionsAndFiles() throws {
        assertErrorLine(try report(["--steps", "0"]), mentions: ["--steps"], exitStatus: 2)
        assertErrorLine(try report(["--map-size", "9"]), mentions: ["--map-size"], exitStatus: 1)
        let notReport = work.appendingPathComponent("eval.json")
        try AtomicFile.write(Data("[1, 2]".utf8), to: notReport)
        assertErrorLine(try report([Self.root.appendingPathComponent("Samples").path, "--cnn-eval", notReport.path]),
                        mentions: ["eval.json", "not an evaluation report"], exitStatus: 1)
        assertNoFiles(work.appendingPathComponent("out"))
        // A folder that is not a report is never replaced.
        let other = work.appendingPathComponent("out/report")
        try AtomicFile.write(Data("keep".utf8), to: other.appendingPathComponent("mine.txt"))
        assertErrorLine(try report([Self.root.appendingPathComponent("Samples").path]), mentions: ["not a report folder"],
                        exitStatus: 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("out").path), ["report"])
    }

    /// SIGINT during the long step: exit 128 + 2, one error line, no report and no staging folder.
    func testInterruptLeavesNoReport() throws {
        let process = Process()
        process.executableURL = try CommandRunner.executable("lrp-compare")
        process.arguments = ["report", Self.root.appendingPathComponent("Samples").path, "--limit", "1",
                             "--out", work.appendingPathComponent("out/report").path]
        process.currentDirectoryURL = Self.root
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        final class Sink: @unchecked Sendable { let lock = NSLock(); var text = "" }
        let sink = Sink()
        err.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            sink.lock.lock(); sink.text += String(decoding: d, as: UTF8.self); sink.lock.unlock()
        }
        try process.run()
        // Wait until the staging folder exists and the faithfulness step has begun.
        let deadline = Date().addingTimeInterval(120)
        func started() -> Bool { sink.lock.lock(); defer { sink.lock.unlock() }; return sink.text.contains("faithfulness:") }
        while !started(), process.isRunning, Date() < deadline { usleep(100_000) }
        XCTAssertTrue(started(), "the report did not reach the faithfulness step: \(sink.text)")
        let staging = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("out").path)
        XCTAssertEqual(staging.count, 1, "one staging folder while running: \(staging)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        err.fileHandleForReading.readabilityHandler = nil
        XCTAssertEqual(process.terminationStatus, 128 + SIGINT, sink.text)
        XCTAssertTrue(sink.text.contains("error: interrupted"), sink.text)
        assertNoFiles(work.appendingPathComponent("out"))
    }
}
