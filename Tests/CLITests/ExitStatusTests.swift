import Foundation
import XCTest

/// The exit-status convention shared by `lrp-cnn`, `lrp-fv` and `lrp-bench`: 0 for success and
/// help, 1 for bad input (files, and values out of range or not fitting the model), 2 for a
/// malformed command line; every failure is one `error:` line on stderr.
final class ExitStatusTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-exit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func run(_ tool: String, _ arguments: [String]) throws -> CommandOutcome {
        try CommandRunner.run(tool, arguments, in: work, environment: ["LRP_MODELS": work.path])
    }

    var model: String { fixture("cnn-import/branchy.o13.folded.onnx").path }
    var photo: String { fixture("core/photo.jpg").path }

    func testUsageErrorsExitWithTwo() throws {
        let out = work.appendingPathComponent("out").path
        let cases: [(String, [String], [String])] = [
            ("lrp-cnn", ["explain", "--model", model, photo, "--out", out, "--no-such-option"], ["--no-such-option"]),
            ("lrp-cnn", ["explain", "--model", model, photo], ["--out"]),
            ("lrp-cnn", ["explain", "--model", model, "--out", out], ["no input"]),
            ("lrp-cnn", ["explain", "--model", model, photo, "--out", out, "--cutoff", "some"], ["--cutoff"]),
            ("lrp-cnn", ["predict", "--model", model, photo, "--classes", "1,,2"], ["--classes"]),
            ("lrp-cnn", ["eval", "--model", model, "--dataset", work.path, "--out", out, "--layout", "coco"], ["coco"]),
            ("lrp-fv", ["sift", "img.png", "--bin-size", "x", "--step", "2", "--out", out], ["--bin-size"]),
            ("lrp-bench", ["cnn", "--repeats", "many"], ["--repeats"]),
            ("lrp-bench", ["fv", "--no-such-option"], ["--no-such-option"]),
            // the sweep found these ran the benchmark with the bad entry dropped
            ("lrp-bench", ["cnn", "--batches", "1,abc"], ["--batches", "1,abc"]),
            ("lrp-bench", ["cnn", "--batches", "1,"], ["--batches"]),
            ("lrp-bench", ["cnn", "--networks", "vgg19"], ["--networks", "vgg19"]),
            ("lrp-bench", ["cnn", "--networks", "vgg16", "--model", "x.onnx"], ["--networks", "--model"]),
        ]
        for (tool, arguments, fragments) in cases {
            let r = try run(tool, arguments)
            assertErrorLine(r, mentions: fragments, exitStatus: 2, context: "\(tool) \(arguments.joined(separator: " "))")
            XCTAssertEqual(r.stdout, "", "\(tool): usage errors print nothing on stdout")
        }
        assertNoFiles(work)
    }

    func testBadInputExitsWithOne() throws {
        let out = work.appendingPathComponent("out")
        let cases: [(String, [String], [String])] = [
            ("lrp-cnn", ["explain", "--model", model, photo, "--out", out.path, "--cutoff", "9"], ["--cutoff 9 out of range"]),
            ("lrp-cnn", ["explain", "--model", model, photo, "--out", out.path, "--batch", "0"], ["--batch"]),
            ("lrp-cnn", ["predict", "--model", model, photo, "--top", "0"], ["--top"]),
            ("lrp-fv", ["explain", photo, "--out", out.path, "--pca-epsilon=-1"], ["--pca-epsilon"]),
            ("lrp-fv", ["train", "--dataset", work.path, "--out", "m.safetensors", "--svm-tolerance", "0"], ["--svm-tolerance"]),
            ("lrp-fv", ["train", "--dataset", work.path, "--out", "m.safetensors", "--gmm-k", "0"], ["--gmm-k"]),
            ("lrp-cnn", ["layers", "--model", "/nonexistent/m.onnx"], ["/nonexistent/m.onnx"]),
            ("lrp-cnn", ["explain", "--model", model, photo, "--out", out.path, "--classes", "3,3"], ["--classes", "twice"]),
            ("lrp-fv", ["explain", "--model", "/nonexistent/m.safetensors", photo, "--out", out.path], ["m.safetensors"]),
            ("lrp-fv", ["sift", "/nonexistent/img.png", "--bin-size", "4", "--step", "4", "--out", out.path], ["img.png", "no such file"]),
            ("lrp-bench", ["cnn", "--model", "/nonexistent/m.onnx", "--skip-zennit"], ["/nonexistent/m.onnx"]),
        ]
        for (tool, arguments, fragments) in cases {
            let r = try run(tool, arguments)
            assertErrorLine(r, mentions: fragments, exitStatus: 1, context: "\(tool) \(arguments.joined(separator: " "))")
        }
        assertNoFiles(out)
    }

    func testHelpExitsWithZero() throws {
        for (tool, arguments) in [("lrp-cnn", []), ("lrp-cnn", ["explain", "--help"]), ("lrp-fv", ["help", "train"]),
                                  ("lrp-bench", []), ("lrp-bench", ["cnn", "--help"])] {
            let r = try run(tool, arguments)
            XCTAssertEqual(r.status, 0, "\(tool) \(arguments): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE"), "\(tool) \(arguments): \(r.stdout)")
            XCTAssertEqual(r.stderr, "", "\(tool) \(arguments)")
        }
    }
}
