import Foundation
import XCTest

/// `lrp-compare faithfulness` on bad input (docs/DESIGN.md §10.2): one `error:` line, a non-zero
/// exit, and no output folder. Runs the built executable next to the test bundle (skipped when
/// it was not built) with the bundled models; no data set needed.
final class FaithfulnessCLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func executable() throws -> URL {
        var dirs = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        dirs += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for d in dirs where FileManager.default.isExecutableFile(atPath: d.appendingPathComponent("lrp-compare").path) {
            return d.appendingPathComponent("lrp-compare")
        }
        throw XCTSkip("lrp-compare not built next to the tests")
    }

    func run(_ args: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = try executable()
        p.arguments = ["faithfulness"] + args
        p.currentDirectoryURL = Self.root
        let err = Pipe(), out = Pipe()
        p.standardError = err
        p.standardOutput = out
        try p.run()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }

    func assertFails(_ args: [String], out: URL, mentions: String, status: Int32 = 1, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(args + ["--out", out.path])
        XCTAssertEqual(r.status, status, r.stderr, file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(mentions), "'\(r.stderr)' does not mention '\(mentions)'", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output folder", file: file, line: line)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path)) ?? []
        XCTAssertFalse(leftovers.contains { $0.hasPrefix(".\(out.lastPathComponent)") }, "no temporary folder left", file: file, line: line)
    }

    func testBadInputGivesOneErrorLineAndNoOutput() throws {
        _ = try executable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("faith-cli-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let out = tmp.appendingPathComponent("out")
        let sample = Self.root.appendingPathComponent("Samples/chelsea.jpg").path

        let broken = tmp.appendingPathComponent("broken.jpg")
        try Data("not a picture".utf8).write(to: broken)
        try assertFails([broken.path], out: out, mentions: "broken.jpg")

        let empty = tmp.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try assertFails([empty.path], out: out, mentions: "holds no images")

        try assertFails([sample, "--region", "300"], out: out, mentions: "--region 300 does not fit")
        try assertFails([sample, "--steps", "1000"], out: out, mentions: "1000 steps need at least 1000 regions")
        try assertFails([sample, "--methods", "nothing"], out: out, mentions: "no method selected")
        try assertFails([sample, "--every", "0"], out: out, mentions: "--every", status: 2)
    }
}
