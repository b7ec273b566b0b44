import Foundation
import XCTest

/// SIGINT or SIGTERM in the middle of a cut-off sweep: the tool removes its temporary files and
/// the unfinished set, so every image has all of its files or none, and it exits with 128 + signal.
final class InterruptTests: XCTestCase {
    func testInterruptedSweepLeavesOnlyCompleteSets() throws {
        let model = fixture("../../Models/mobilenet_v2.onnx").standardizedFileURL
        let photo = fixture("core/photo.jpg")
        // The signal comes once the first output files appear (the run is then writing), after
        // at least `written` of them.
        for (sig, written) in [(SIGINT, 1), (SIGTERM, 300)] {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-interrupt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            var images: [String] = []
            for i in 0..<3 {
                let copy = work.appendingPathComponent("img\(i).jpg")
                try FileManager.default.copyItem(at: photo, to: copy)
                images.append(copy.path)
            }
            let out = work.appendingPathComponent("out")
            let process = Process()
            process.executableURL = try CommandRunner.executable("lrp-cnn")
            process.arguments = ["explain", "--model", model.path, "--cutoff", "all", "--batch", "1", "--out", out.path] + images
            process.standardOutput = FileHandle.nullDevice
            let err = Pipe()
            process.standardError = err
            try process.run()
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning, Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
                if names.filter({ !$0.hasPrefix(".") }).count >= written { break }
                Thread.sleep(forTimeInterval: 0.005)
            }
            kill(process.processIdentifier, sig)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let files = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            XCTAssertEqual(files.filter { $0.hasPrefix(".") }, [], "temporary files left after signal \(sig)")
            // K = 0...53 → 54 sets of 5 files per image.
            for i in 0..<3 {
                let count = files.filter { $0.hasPrefix("img\(i).") }.count
                XCTAssertTrue(count == 0 || count == 54 * 5, "img\(i): \(count) files after signal \(sig)")
            }
            if process.terminationStatus == 0 {
                XCTAssertEqual(files.count, 3 * 54 * 5, "finished before the signal: everything written")
            } else {
                XCTAssertEqual(process.terminationStatus, 128 + sig, stderr)
                XCTAssertTrue(stderr.contains("interrupted"), stderr)
            }
        }
    }
}
