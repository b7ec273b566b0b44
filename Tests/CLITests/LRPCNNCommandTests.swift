import Foundation
import LRPCore
import XCTest

/// Runs the built `lrp-cnn` executable as a user would: a bad option or model gives one `error:`
/// line on stderr, a non-zero exit and no output files; a bad image gives one `error:` line
/// naming it and a count line (docs/DESIGN.md §7.5); good input gives the documented file set.
final class LRPCNNCommandTests: XCTestCase {
    /// A small 10-class model with a final Softmax (Tests/Fixtures/cnn-import, 3x32x32 input).
    let model = fixture("cnn-import/branchy.o13.folded.onnx").path
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-cnn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    // MARK: errors

    func testMissingImage() throws {
        let out = work.appendingPathComponent("out")
        let r = try run(["explain", "--model", model, "/nonexistent/cat.jpg", "--out", out.path])
        assertBatch(r, failed: ["/nonexistent/cat.jpg": "no such file"], count: "explained 0 of 1 image; 1 failed")
        assertNoFiles(out)
    }

    func testMissingModel() throws {
        let out = work.appendingPathComponent("out")
        let r = try run(["explain", "--model", "/nonexistent/m.onnx", fixture("core/photo.jpg").path, "--out", out.path])
        assertOneLineError(r, mentions: ["/nonexistent/m.onnx"])
        assertNoFiles(out)
    }

    /// A corrupt picture fails alone: the good image before it keeps its complete set.
    func testCorruptJPEGFailsAlone() throws {
        let good = try Data(contentsOf: fixture("core/photo.jpg"))
        let truncated = work.appendingPathComponent("truncated.jpg")
        try good.prefix(good.count / 2).write(to: truncated)
        var garbled = good
        for i in stride(from: garbled.count / 3, to: garbled.count - 2, by: 7) { garbled[i] = 0xFF; garbled[i + 1] = 0xD9 }
        let garbledURL = work.appendingPathComponent("garbled.jpg")
        try garbled.write(to: garbledURL)
        let notAnImage = work.appendingPathComponent("text.jpg")
        try Data("hello".utf8).write(to: notAnImage)

        for bad in [truncated, garbledURL, notAnImage] {
            let out = work.appendingPathComponent("out-\(bad.lastPathComponent)")
            let r = try run(["explain", "--model", model, fixture("core/photo.jpg").path, bad.path, "--out", out.path])
            assertBatch(r, failed: [bad.path: "image"], count: "explained 1 of 2 images; 1 failed")
            XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out.path)),
                           Set(["relevance.npy", "heatmap.npy", "heatmap.png", "overlay.png", "json"].map { "photo.\($0)" }))
        }
    }

    func testOutOfRangeTargetAndOtherImpossibleOptions() throws {
        let photo = fixture("core/photo.jpg").path
        let cases: [([String], [String])] = [
            (["--target", "10"], ["target class 10 out of range", "10 classes"]),
            (["--target=-1"], ["out of range"]),
            (["--target", "tabby"], ["tabby"]),
            (["--labels", labels(10).path, "--target", "no such label"], ["unknown class label 'no such label'"]),
            (["--classes", "0,x"], ["--classes"]),
            (["--classes", "3,12"], ["class index 12 out of range"]),
            (["--classes", "3,5", "--target", "4"], ["not among --classes"]),
            (["--cutoff", "99"], ["--cutoff 99 out of range", "0...4"]),
            (["--cutoff", "some"], ["--cutoff"]),
            (["--preset", "alpha2beta1", "--alpha", "3", "--beta", "1"], ["alpha - beta must equal 1"]),
            (["--preset", "epsilon", "--alpha", "2"], ["--alpha/--beta"]),
            (["--epsilon=-1"], ["epsilon"]),
            (["--batch", "0"], ["--batch"]),
            (["--preset", "nonsense"], ["nonsense"]),
            (["--labels", labels(3).path], ["3 labels", "10 classes"]),
        ]
        for (options, fragments) in cases {
            let out = work.appendingPathComponent("out")
            let r = try run(["explain", "--model", model, photo, "--out", out.path] + options)
            assertOneLineError(r, mentions: fragments, context: options.joined(separator: " "))
            assertNoFiles(out)
        }
    }

    /// Negative numbers right after an option are its value ("--target -1" is out of range, not
    /// a missing value).
    func testNegativeNumbersAreOptionValues() throws {
        let photo = fixture("core/photo.jpg").path
        let cases: [([String], [String])] = [
            (["--target", "-1"], ["out of range"]),
            (["--cutoff", "-1"], ["--cutoff -1 out of range"]),
            (["--epsilon", "-1"], ["epsilon must be"]),
            (["--preset", "alpha2beta1", "--alpha", "-1"], ["--alpha must be a finite number >= 1 (got -1.0)"]),
        ]
        for (options, fragments) in cases {
            let out = work.appendingPathComponent("out")
            let r = try run(["explain", "--model", model, photo, "--out", out.path] + options)
            assertOneLineError(r, mentions: fragments, context: options.joined(separator: " "))
            assertNoFiles(out)
        }
    }

    /// An output folder that cannot be made says why in POSIX words.
    func testOutInsideAFile() throws {
        let file = work.appendingPathComponent("afile")
        try Data("x".utf8).write(to: file)
        let r = try run(["explain", "--model", model, fixture("core/photo.jpg").path, "--out", file.path + "/sub"])
        assertOneLineError(r, mentions: ["cannot create directory", "Not a directory"])
    }

    /// A file of the set that cannot be written takes the sample's other files with it, also
    /// across the sets of a sweep.
    func testFailedWriteLeavesNoIncompleteSet() throws {
        for (blocked, options) in [("photo.overlay.png", [String]()), ("photo.cutoff-3.json", ["--cutoff", "all"])] {
            let out = work.appendingPathComponent("out-\(blocked)")
            try FileManager.default.createDirectory(at: out.appendingPathComponent(blocked), withIntermediateDirectories: true)
            let photo = fixture("core/photo.jpg").path
            let r = try run(["explain", "--model", model, photo, "--out", out.path] + options)
            assertBatch(r, failed: [photo: "cannot write"], count: "explained 0 of 1 image; 1 failed")
            XCTAssertTrue(r.stderr.contains(blocked), r.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [blocked], "files left")
        }
    }

    func testBadInputNpy() throws {
        let wrongShape = work.appendingPathComponent("wrong.npy")
        try NPY.write(NDArray(zeros: [1, 3, 8, 8]), to: wrongShape)
        let withNaN = work.appendingPathComponent("nan.npy")
        var x = NDArray(zeros: [3, 32, 32]); x.data[5] = .nan
        try NPY.write(x, to: withNaN)
        let out = work.appendingPathComponent("out")
        var r = try run(["explain", "--model", model, "--input-npy", wrongShape.path, "--out", out.path])
        assertBatch(r, failed: [wrongShape.path: "does not match the model input"], count: "explained 0 of 1 image; 1 failed")
        r = try run(["explain", "--model", model, "--input-npy", withNaN.path, "--out", out.path])
        assertBatch(r, failed: [withNaN.path: "not finite"], count: "explained 0 of 1 image; 1 failed")
        assertNoFiles(out)
    }

    func testCorruptModel() throws {
        let bad = work.appendingPathComponent("bad.onnx")
        try Data((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }).write(to: bad)
        let r = try run(["layers", "--model", bad.path])
        assertOneLineError(r, mentions: ["bad.onnx", "not a valid ONNX model"])
    }

    // MARK: working runs (these need the engine)

    func testExplainWritesTheFileSet() throws {
        let out = work.appendingPathComponent("out")
        let r = try run(["explain", "--model", model, fixture("core/photo.jpg").path, "--out", out.path,
                         "--labels", labels(10).path, "--preset", "epsilon"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(names, ["photo.heatmap.npy", "photo.heatmap.png", "photo.json", "photo.overlay.png", "photo.relevance.npy"])
        XCTAssertTrue(r.stdout.contains(out.path), "stdout should say where the pictures went: \(r.stdout)")
        let relevance = try NPY.read(out.appendingPathComponent("photo.relevance.npy"))
        let heatmap = try NPY.read(out.appendingPathComponent("photo.heatmap.npy"))
        XCTAssertEqual(relevance.shape, [3, 32, 32])
        XCTAssertEqual(heatmap.shape, [32, 32])
        for i in 0..<(32 * 32) {
            XCTAssertEqual(heatmap.data[i], relevance.data[i] + relevance.data[1024 + i] + relevance.data[2048 + i], accuracy: 1e-5)
        }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("photo.json"))) as? [String: Any])
        let predictions = try XCTUnwrap(json["predictions"] as? [[String: Any]])
        XCTAssertEqual(predictions.count, 5)
        let target = try XCTUnwrap(json["target"] as? [String: Any])
        XCTAssertEqual(target["index"] as? Int, predictions[0]["index"] as? Int)
        XCTAssertEqual(target["label"] as? String, "label \(target["index"] as! Int)")
        XCTAssertEqual(json["cutoff"] as? Int, 0)
        XCTAssertEqual(json["outputSoftmaxRemoved"] as? Bool, true)
        let sum = try XCTUnwrap(json["relevanceSum"] as? Double)
        XCTAssertEqual(Float(sum), relevance.data.reduce(0, +), accuracy: 1e-4 * max(1, abs(Float(sum))))
        XCTAssertNotNil(json["rules"] as? [String: Any])
        XCTAssertNotNil(json["timeSeconds"] as? Double)
    }

    /// `--outputs` writes only the named files; the JSON lists them. Two batches of one image
    /// go through the pipeline (decode, explain and write overlap) in input order.
    func testOutputsPickTheFiles() throws {
        let out = work.appendingPathComponent("outputs")
        let second = work.appendingPathComponent("second.jpg")
        try FileManager.default.copyItem(at: fixture("core/photo.jpg"), to: second)
        let r = try run(["explain", "--model", model, fixture("core/photo.jpg").path, second.path, "--out", out.path,
                         "--outputs", "heatmap,json", "--batch", "1", "--preset", "epsilon"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(names, ["photo.heatmap.npy", "photo.json", "second.heatmap.npy", "second.json"])
        XCTAssertLessThan(try XCTUnwrap(r.stdout.range(of: "photo.jpg")).lowerBound,
                          try XCTUnwrap(r.stdout.range(of: "second.jpg")).lowerBound, r.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("photo.json"))) as? [String: Any])
        XCTAssertEqual(json["files"] as? [String], ["photo.heatmap.npy", "photo.json"])
        let bad = try run(["explain", "--model", model, fixture("core/photo.jpg").path, "--out", out.path, "--outputs", "heatmap,svg"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("svg"), bad.stderr)
    }

    func testCutoffSweepWritesOneSetPerK() throws {
        let out = work.appendingPathComponent("sweep")
        let r = try run(["explain", "--model", model, fixture("core/photo.jpg").path, "--out", out.path, "--cutoff", "all",
                         "--target", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        for k in 0...4 {
            for suffix in ["relevance.npy", "heatmap.npy", "heatmap.png", "overlay.png", "json"] {
                XCTAssertTrue(names.contains("photo.cutoff-\(k).\(suffix)"), "missing photo.cutoff-\(k).\(suffix)")
            }
        }
        XCTAssertEqual(names.count, 25)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("photo.cutoff-2.json"))) as? [String: Any])
        XCTAssertEqual(json["cutoff"] as? Int, 2)
        XCTAssertEqual((json["target"] as? [String: Any])?["index"] as? Int, 3)
    }

    func testExplainFromInputNpyBatch() throws {
        let x = NDArray(shape: [2, 3, 32, 32], data: (0..<(2 * 3 * 1024)).map { Float(($0 * 7919) % 101) / 50 - 1 })
        let npy = work.appendingPathComponent("batch.npy")
        try NPY.write(x, to: npy)
        let out = work.appendingPathComponent("out")
        let r = try run(["explain", "--model", model, "--input-npy", npy.path, "--out", out.path, "--batch", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        XCTAssertTrue(names.contains("batch-0.relevance.npy") && names.contains("batch-1.overlay.png"), "\(names)")
    }

    func testLayersAndPredict() throws {
        let layers = try run(["layers", "--model", model])
        XCTAssertEqual(layers.status, 0, layers.stderr)
        XCTAssertTrue(layers.stdout.contains("conv 3x3 s2 3->8"))
        XCTAssertTrue(layers.stdout.contains("--cutoff accepts 0...4"))
        XCTAssertTrue(layers.stdout.contains("Softmax removed"))

        let predict = try run(["predict", "--model", model, fixture("core/photo.jpg").path, "--top", "3",
                               "--labels", labels(10).path])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let lines = predict.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[1].contains("1. label "), predict.stdout)

        let restricted = try run(["predict", "--model", model, fixture("core/photo.jpg").path, "--classes", "7,2", "--top", "5"])
        XCTAssertEqual(restricted.status, 0, restricted.stderr)
        XCTAssertEqual(restricted.stdout.split(separator: "\n").count, 3, restricted.stdout)
    }

    // MARK: helpers

    func run(_ arguments: [String]) throws -> CommandOutcome {
        try CommandRunner.run("lrp-cnn", arguments, in: work)
    }

    func assertOneLineError(_ r: CommandOutcome, mentions fragments: [String], context: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
        assertErrorLine(r, mentions: fragments, context: context, file: file, line: line)
    }

    /// A label file "label 0" ... "label n-1".
    func labels(_ n: Int) -> URL {
        let url = work.appendingPathComponent("labels\(n).txt")
        try? (0..<n).map { "label \($0)" }.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// Fixture files are found through this file's path (no SwiftPM resources).
func fixture(_ relative: String, file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(relative)
}
