import Foundation
import LRPCore
import XCTest

/// Runs the built `lrp-fv` executable as a user would, on a tiny synthetic image-folder
/// dataset (stripes; no real data needed).
final class LrpFvCLITests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-fv-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    // MARK: train / eval / explain

    func testWithoutSubcommandPrintsHelp() throws {
        let r = try fv([])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("SUBCOMMANDS"), r.stdout)
        XCTAssertFalse(r.stderr.contains("error"), r.stderr)
    }

    func testTrainEvalExplain() throws {
        let data = try makeDataset()
        let model = work.appendingPathComponent("m.safetensors")
        let train = try fv(["train", "--dataset", data.path, "--out", model.path] + Self.tinyTraining)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("skipped images: 1"), train.stderr)
        XCTAssertTrue(train.stderr.contains("broken.jpg"), train.stderr)
        XCTAssertTrue(train.stderr.contains("skipped dataset entries: 1"), train.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model.path))

        let json = work.appendingPathComponent("eval.json")
        let eval = try fv(["eval", "--model", model.path, "--dataset", data.path, "--split", "val", "--json", json.path])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("mAP"), eval.stdout)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        XCTAssertEqual(report["top1"] as? Double, 1)
        XCTAssertEqual(report["images"] as? Int, 6)

        let image = data.appendingPathComponent("val/vert/img0.png")
        let out = work.appendingPathComponent("out")
        let explain = try fv(["explain", "--model", model.path, image.path, "--out", out.path, "--resolution", "both",
                              "--target", "vert"])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        for variant in ["bin", "descriptor"] {
            for suffix in ["heatmap.npy", "heatmap.png", "overlay.png", "json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("img0.\(variant).\(suffix)").path),
                              "\(variant).\(suffix)")
            }
            let map = try NPY.read(out.appendingPathComponent("img0.\(variant).heatmap.npy"))
            XCTAssertEqual(map.shape, [40, 44]) // the image's own grid (H×W)
            let summary = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: out.appendingPathComponent("img0.\(variant).json"))) as? [String: Any])
            let sums = try XCTUnwrap(summary["relevanceSums"] as? [String: Double])
            let mapSum = map.data.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sums["map"] ?? .nan, mapSum, accuracy: 1e-4 * max(1, abs(mapSum)))
            XCTAssertEqual((summary["target"] as? [String: Any])?["class"] as? String, "vert")
            XCTAssertGreaterThan(summary["timeSeconds"] as? Double ?? 0, 0)
        }
    }

    // MARK: bad input

    func testExplainLeavesNoPartialOutput() throws {
        let data = try makeDataset()
        let model = work.appendingPathComponent("m.safetensors")
        XCTAssertEqual(try fv(["train", "--dataset", data.path, "--out", model.path] + Self.tinyTraining).status, 0)
        let good = data.appendingPathComponent("val/vert/img0.png").path
        let broken = data.appendingPathComponent("train/vert/broken.jpg").path
        let out = work.appendingPathComponent("out")

        // A bad image fails alone (docs/DESIGN.md §7.5): the good one keeps its complete sets.
        var r = try fv(["explain", "--model", model.path, good, broken, "--out", out.path, "--resolution", "both"])
        assertBatch(r, failed: [broken: "image"], count: "explained 1 of 2 images; 1 failed")
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out.path)),
                       Set(["bin", "descriptor"].flatMap { v in ["heatmap.npy", "heatmap.png", "overlay.png", "json"].map { "img0.\(v).\($0)" } }))
        try FileManager.default.removeItem(at: out)

        let missing = data.appendingPathComponent("val/vert/missing.png").path
        r = try fv(["explain", "--model", model.path, missing, "--out", out.path])
        assertBatch(r, failed: [missing: "no such file"], count: "explained 0 of 1 image; 1 failed")
        assertNoFiles(out)

        r = try fv(["explain", "--model", model.path, good, "--out", out.path, "--target", "giraffe"])
        assertOneLineError(r, mentions: ["giraffe"])
        assertNoFiles(out)

        // A truncated and a mismatched model file.
        let bytes = try Data(contentsOf: model)
        let cut = work.appendingPathComponent("cut.safetensors")
        try bytes.prefix(bytes.count - 100).write(to: cut)
        r = try fv(["explain", "--model", cut.path, good, "--out", out.path])
        assertOneLineError(r, mentions: ["cut.safetensors", "truncated"])
        assertNoFiles(out)
        let notModel = work.appendingPathComponent("x.safetensors")
        try Data("{}".utf8).write(to: notModel)
        r = try fv(["eval", "--model", notModel.path, "--dataset", data.path])
        assertOneLineError(r, mentions: ["x.safetensors"])
    }

    func testTrainRejectsBadOptions() throws {
        let data = try makeDataset()
        for (options, fragment) in [(["--pyramid", "2y2"], "pyramid"), (["--sizes", "0,4"], "bin sizes"),
                                    (["--gmm-k", "0"], "--gmm-k"), (["--svm-c=-1"], "--svm-c")] {
            let r = try fv(["train", "--dataset", data.path, "--out", work.appendingPathComponent("m").path] + options)
            assertOneLineError(r, mentions: [fragment], context: options.joined(separator: " "))
        }
        let r = try fv(["train", "--dataset", work.appendingPathComponent("nowhere").path, "--out", "m.safetensors"])
        assertOneLineError(r, mentions: ["nowhere"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("m.safetensors").path))
    }

    // MARK: sift

    func testSiftWritesDescriptorsAndZeroBasedFrames() throws {
        let data = try makeDataset()
        let image = data.appendingPathComponent("val/vert/img1.png").path
        let d = work.appendingPathComponent("d.npy"), f = work.appendingPathComponent("f.npy")
        let r = try fv(["sift", image, "--bin-size", "4", "--step", "5", "--fast", "--out", d.path, "--frames", f.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let descriptors = try NPY.read(d), frames = try NPY.read(f)
        // 44×40 image, bin 4: upper-left bin centres 0, 5, … ≤ W−1−12 → 7 columns, 6 rows.
        XCTAssertEqual(descriptors.shape, [42, 128])
        XCTAssertEqual(frames.shape, [42, 4])
        XCTAssertEqual(Array(frames.data[0..<3]), [6, 6, 4]) // 0-based centre: 1.5 × bin size
        XCTAssertTrue(descriptors.data.allSatisfy { $0 >= 0 && $0 <= 255 })
        XCTAssertGreaterThan(descriptors.data.max() ?? 0, 50)
        assertOneLineError(try fv(["sift", image, "--bin-size", "0", "--step", "5", "--out", d.path]), mentions: ["--bin-size"])
    }

    // MARK: helpers

    static let tinyTraining = ["--gmm-k", "3", "--pca", "8", "--sizes", "4,6", "--step", "4", "--pyramid", "1x1,1x2",
                               "--descriptor-sample", "1500", "--sample-images", "6", "--in-memory"]

    /// `train/{horiz,vert}` (4 images each + a corrupt JPEG, + an empty folder) and `val` (3 each).
    func makeDataset() throws -> URL { try makeStripesDataset(in: work) }

    /// Runs `lrp-fv`; LRP_MODELS points at the work folder so that no bundled model is picked up
    /// by accident.
    func fv(_ arguments: [String]) throws -> CommandOutcome {
        try CommandRunner.run("lrp-fv", arguments, in: work, environment: ["LRP_MODELS": work.path])
    }

    func assertOneLineError(_ r: CommandOutcome, mentions fragments: [String], context: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
        assertErrorLine(r, mentions: fragments, exitStatus: 1, context: context, file: file, line: line)
    }
}
