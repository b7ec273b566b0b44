import Foundation
import LRPCore
import XCTest

/// `lrp-compare figure` as a user runs it (docs/DESIGN.md §10.1, §7.1), with the bundled models.
final class LrpCompareFigureTests: XCTestCase {
    var work: URL!
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-compare-figure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    private func compare(_ args: [String]) throws -> CommandOutcome {
        try CommandRunner.run("lrp-compare", args, in: Self.root)
    }

    /// A bad photo is one error line; the good one is still written; the count line follows and
    /// the exit status is 1.
    func testBadImageIsOneErrorLineAndTheOthersContinue() throws {
        let bad = work.appendingPathComponent("broken.jpg")
        try Data("not a picture".utf8).write(to: bad)
        let out = work.appendingPathComponent("figs")
        let r = try compare(["figure", "Samples/chelsea.jpg", bad.path, "--out", out.path, "--panel-size", "96"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        XCTAssertEqual(errors.count, 1, r.stderr)
        XCTAssertTrue(errors.first?.hasPrefix("error: \(bad.path): ") == true, r.stderr)
        XCTAssertTrue(r.stderr.contains("cut-off K = "), "the chosen K is printed: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("1 of 2 images failed"), r.stdout)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files, ["chelsea.figure1.json", "chelsea.figure1.png"], "no temporary or partial files")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("chelsea.figure1.json"))) as? [String: Any]
        XCTAssertNotNil((json?["cnn"] as? [String: Any])?["cutoffLow"])
    }

    func testBadOptionsAreErrors() throws {
        let out = work.appendingPathComponent("o").path
        assertErrorLine(try compare(["figure", "--out", out]), mentions: ["no input"], exitStatus: 2)
        let r = try compare(["figure", "Samples/chelsea.jpg", "--out", out, "--cutoff", "999"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error: --cutoff 999 out of range"), r.stderr)
        let c = try compare(["figure", "Samples/chelsea.jpg", "--out", out, "--class", "zebra"])
        XCTAssertEqual(c.status, 1)
        XCTAssertTrue(c.stderr.contains("error: class 'zebra' is unknown"), c.stderr)
        assertNoFiles(work)
    }
}
