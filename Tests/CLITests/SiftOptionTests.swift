import Foundation
import XCTest

/// `lrp-fv sift` option checks: output names that collide or are empty are usage errors, a
/// window size that is not a positive number is a bad value; nothing is written.
final class SiftOptionTests: XCTestCase {
    func testCollidingOrEmptyOutputsAndBadWindow() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-sift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let photo = fixture("core/photo.jpg").path
        let same = work.appendingPathComponent("d.npy").path
        let cases: [([String], [String], Int32)] = [
            (["--out", same, "--frames", work.appendingPathComponent("./d.npy").path], ["same file"], 2),
            (["--out", ""], ["--out"], 2),
            (["--out", same, "--window-size=-1"], ["--window-size"], 1),
        ]
        for (options, fragments, status) in cases {
            let r = try CommandRunner.run("lrp-fv", ["sift", photo, "--bin-size", "4", "--step", "4"] + options, in: work)
            assertErrorLine(r, mentions: fragments, exitStatus: status, context: options.joined(separator: " "))
        }
        assertNoFiles(work)
    }
}

/// `lrp-fv sift` refuses an image that would give more descriptors than `--max-descriptors`
/// (default: lrp-fv explain's limit), counted from the header before decoding; nothing is written.
final class SiftDescriptorLimitTests: XCTestCase {
    func testDescriptorLimit() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-sift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let photo = fixture("core/photo.jpg").path  // 32×24: 29×21 = 609 frames at bin 1, step 1
        let out = work.appendingPathComponent("d.npy").path
        let refused = try CommandRunner.run("lrp-fv", ["sift", photo, "--bin-size", "1", "--step", "1", "--out", out, "--max-descriptors", "600"], in: work)
        assertErrorLine(refused, mentions: ["photo.jpg", "609 descriptors", "limit 600", "--max-descriptors"], exitStatus: 1, context: "limit")
        assertNoFiles(work)
        let ok = try CommandRunner.run("lrp-fv", ["sift", photo, "--bin-size", "1", "--step", "1", "--out", out, "--max-descriptors", "609"], in: work)
        XCTAssertEqual(ok.status, 0, ok.stderr)
    }
}
