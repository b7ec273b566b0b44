import Foundation
import LRPCore
import XCTest

/// Several images in one run (docs/DESIGN.md §7.5), the same in `lrp-cnn explain`, `lrp-cnn
/// predict` and `lrp-fv explain`: a bad image gets one `error: <path>: <reason>` line and the
/// others are still processed, each image's files are complete or absent, `--fail-fast` stops at
/// the first failure, a final line counts successes and failures, and the exit status is 1 if
/// any image failed.
final class BatchFailureTests: XCTestCase {
    var work: URL!
    let model = fixture("cnn-import/branchy.o13.folded.onnx").path
    let fvModel = fixture("../../Models/fisher_imagenette.safetensors").standardizedFileURL.path

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let photo = try Data(contentsOf: fixture("core/photo.jpg"))
        try photo.write(to: work.appendingPathComponent("a.jpg"))
        try photo.write(to: work.appendingPathComponent("c.jpg"))
        try Data("not an image".utf8).write(to: work.appendingPathComponent("text.jpg"))
        try photo.prefix(photo.count / 3).write(to: work.appendingPathComponent("cut.jpg"))
        // finite but so large that the forward pass overflows: a non-finite result
        try NPY.write(NDArray(shape: [3, 32, 32], data: [Float](repeating: 3e38, count: 3 * 32 * 32)),
                      to: work.appendingPathComponent("huge.npy"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func testCNNMixedBatchKeepsTheGoodImages() throws {
        let out = work.appendingPathComponent("out")
        let r = try run("lrp-cnn", ["explain", "--model", model, "a.jpg", "text.jpg", "cut.jpg", "missing.jpg", "c.jpg",
                                    "--input-npy", "huge.npy", "--batch", "2", "--out", out.path])
        assertBatch(r, failed: ["text.jpg": "not a JPEG or PNG", "cut.jpg": "corrupt image", "missing.jpg": "no such file",
                                "huge.npy": "not finite"], count: "explained 2 of 6 images; 4 failed")
        XCTAssertEqual(try names(out), Set(["a", "c"].flatMap(fileSet)))
    }

    func testCNNFailFastStopsAtTheFirstFailure() throws {
        let out = work.appendingPathComponent("out")
        let r = try run("lrp-cnn", ["explain", "--model", model, "a.jpg", "text.jpg", "c.jpg", "--out", out.path, "--fail-fast"])
        assertBatch(r, failed: ["text.jpg": "not a JPEG or PNG"],
                    count: "explained 1 of 3 images; 1 failed; stopped at the first failure (--fail-fast)")
        XCTAssertEqual(try names(out), Set(fileSet("a")))
    }

    func testCNNAllBadWritesNothing() throws {
        let out = work.appendingPathComponent("out")
        let r = try run("lrp-cnn", ["explain", "--model", model, "text.jpg", "cut.jpg", "--cutoff", "all", "--out", out.path])
        assertBatch(r, failed: ["text.jpg": "not a JPEG", "cut.jpg": "corrupt"], count: "explained 0 of 2 images; 2 failed")
        assertNoFiles(out)
    }

    /// A batch whose forward pass fails is re-run one sample at a time: only the bad one fails.
    func testNonFiniteSampleFailsAloneInsideABatch() throws {
        let out = work.appendingPathComponent("out")
        try NPY.write(NDArray(shape: [3, 32, 32], data: (0..<3072).map { Float($0 % 17) / 17 }), to: work.appendingPathComponent("fine.npy"))
        let r = try run("lrp-cnn", ["explain", "--model", model, "--input-npy", "fine.npy", "--input-npy", "huge.npy",
                                    "--batch", "8", "--out", out.path])
        assertBatch(r, failed: ["huge.npy": "overflows float32"], count: "explained 1 of 2 images; 1 failed")
        XCTAssertEqual(try names(out), Set(fileSet("fine")))
    }

    func testPredictMixedBatch() throws {
        let r = try run("lrp-cnn", ["predict", "--model", model, "a.jpg", "text.jpg", "c.jpg", "--top", "1"])
        assertBatch(r, failed: ["text.jpg": "not a JPEG or PNG"], count: "predicted 2 of 3 images; 1 failed")
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasSuffix(".jpg") }.map { URL(fileURLWithPath: String($0)).lastPathComponent },
                       ["a.jpg", "c.jpg"])
        let fast = try run("lrp-cnn", ["predict", "--model", model, "text.jpg", "a.jpg", "--fail-fast"])
        assertBatch(fast, failed: ["text.jpg": "not a JPEG"], count: "predicted 0 of 2 images; 1 failed; stopped at the first failure (--fail-fast)")
        XCTAssertEqual(fast.stdout, "")
    }

    func testFVMixedBatchFailFastAndAllBad() throws {
        let out = work.appendingPathComponent("out")
        var r = try run("lrp-fv", ["explain", "--model", fvModel, "a.jpg", "text.jpg", "cut.jpg", "c.jpg", "--out", out.path])
        assertBatch(r, failed: ["text.jpg": "not a JPEG or PNG", "cut.jpg": "corrupt image"], count: "explained 2 of 4 images; 2 failed")
        XCTAssertEqual(try names(out), Set(["a", "c"].flatMap { fvFileSet($0) }))

        let fast = work.appendingPathComponent("fast")
        r = try run("lrp-fv", ["explain", "--model", fvModel, "a.jpg", "text.jpg", "c.jpg", "--out", fast.path, "--fail-fast"])
        assertBatch(r, failed: ["text.jpg": "not a JPEG"], count: "explained 1 of 3 images; 1 failed; stopped at the first failure (--fail-fast)")
        XCTAssertEqual(try names(fast), Set(fvFileSet("a")))

        let none = work.appendingPathComponent("none")
        r = try run("lrp-fv", ["explain", "--model", fvModel, "text.jpg", "missing.jpg", "--out", none.path])
        assertBatch(r, failed: ["text.jpg": "not a JPEG", "missing.jpg": "no such file"], count: "explained 0 of 2 images; 2 failed")
        assertNoFiles(none)
    }

    /// Whole-run errors stay one line before any image: a bad option or model is not counted.
    func testWholeRunErrorsAreOneLine() throws {
        let out = work.appendingPathComponent("out")
        assertErrorLine(try run("lrp-cnn", ["explain", "--model", "nope.onnx", "a.jpg", "text.jpg", "--out", out.path]),
                        mentions: ["nope.onnx"], exitStatus: 1)
        assertErrorLine(try run("lrp-fv", ["explain", "--model", fvModel, "a.jpg", "--target", "giraffe", "--out", out.path]),
                        mentions: ["--target", "giraffe"], exitStatus: 1)
        assertNoFiles(out)
    }

    /// A NaN in the Fisher-vector model is a whole-run error naming the tensor, before any image
    /// (the sweep found exit 0 with NaN scores for NaN in pca.mean, pca.projection, svm.*).
    func testFVModelWithNaNTensorIsOneError() throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fvModel))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes[8..<(8 + headerLength)]) as? [String: Any])
        let offsets = try XCTUnwrap((header["pca.projection"] as? [String: Any])?["data_offsets"] as? [Int])
        let at = 8 + headerLength + offsets[0] + 4 * 7
        bytes.replaceSubrange(at..<(at + 4), with: [0x00, 0x00, 0xC0, 0x7F]) // float32 NaN, little-endian
        let bad = work.appendingPathComponent("nan.safetensors")
        try bytes.write(to: bad)
        let out = work.appendingPathComponent("out")
        let r = try run("lrp-fv", ["explain", "--model", bad.path, "a.jpg", "c.jpg", "--out", out.path])
        assertErrorLine(r, mentions: ["nan.safetensors", "tensor pca.projection: element 7 is nan"], exitStatus: 1)
        assertNoFiles(out)
    }

    /// A sharded run records the bad image as failed in its manifest and finishes the others.
    func testShardedExplainRecordsTheFailure() throws {
        let out = work.appendingPathComponent("shards")
        let r = try run("lrp-cnn", ["explain", "--model", model, work.appendingPathComponent("a.jpg").path,
                                    work.appendingPathComponent("text.jpg").path, "--shard", "0/1", "--out", out.path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: \(work.appendingPathComponent("text.jpg").path): unsupported image"), r.stderr)
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("shard-0000-of-0001/manifest.json"))) as? [String: Any])
        let items = try XCTUnwrap(manifest["items"] as? [[String: Any]])
        let status = Dictionary(uniqueKeysWithValues: items.map { (URL(fileURLWithPath: $0["id"] as! String).lastPathComponent, $0["status"] as! String) })
        XCTAssertEqual(status, ["a.jpg": "done", "text.jpg": "failed"])
        XCTAssertTrue((items.first { ($0["status"] as? String) == "failed" }?["error"] as? String ?? "").contains("not a JPEG"))
    }

    // MARK: helpers

    func run(_ tool: String, _ arguments: [String]) throws -> CommandOutcome {
        try CommandRunner.run(tool, arguments, in: work, environment: ["LRP_MODELS": work.path])
    }

    func fileSet(_ stem: String) -> [String] {
        ["relevance.npy", "heatmap.npy", "heatmap.png", "overlay.png", "json"].map { "\(stem).\($0)" }
    }

    func fvFileSet(_ stem: String) -> [String] {
        ["heatmap.npy", "heatmap.png", "overlay.png", "json"].map { "\(stem).bin.\($0)" }
    }

    /// Every file in `dir`, hidden (temporary) ones included.
    func names(_ dir: URL) throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) }
}

/// A batch with failures: exit 1, exactly one `error: <name>: ...` line per failed input (in any
/// order, each mentioning its reason), and `count` as the last line of stderr.
func assertBatch(_ r: CommandOutcome, failed: [String: String], count: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
    let lines = r.stderr.split(separator: "\n").map(String.init)
    let errors = lines.filter { $0.hasPrefix("error: ") }
    XCTAssertEqual(errors.count, failed.count, "error lines: \(r.stderr)", file: file, line: line)
    for (name, reason) in failed {
        let mine = errors.filter { $0.hasPrefix("error: \(name): ") }
        XCTAssertEqual(mine.count, 1, "one error line for \(name): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(mine.first?.contains(reason) ?? false, "\(name): '\(mine)' lacks '\(reason)'", file: file, line: line)
    }
    XCTAssertEqual(lines.last, count, r.stderr, file: file, line: line)
}
