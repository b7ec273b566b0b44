import Foundation
import XCTest

/// Every numeric option of the three executables takes a negative (or NaN, or huge) value as its
/// value and answers with the range error naming the flag and its allowed range (exit 1), never
/// "missing value" (docs/DESIGN.md §7.6); an empty output path is a usage error (exit 2).
/// Nothing is written in either case.
final class NumericOptionTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-numeric-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func testOutOfRangeValuesNameTheFlagAndRange() throws {
        let model = fixture("cnn-import/branchy.o13.folded.onnx").path
        let photo = fixture("core/photo.jpg").path
        let out = work.appendingPathComponent("out").path
        let explain = ["explain", "--model", model, photo, "--out", out]
        let predict = ["predict", "--model", model, photo]
        let train = ["train", "--dataset", work.path, "--out", work.appendingPathComponent("m.safetensors").path]
        let sift = ["sift", photo, "--out", work.appendingPathComponent("d.npy").path]
        let cases: [(String, [String], String)] = [
            ("lrp-cnn", explain + ["--epsilon", "-1"], "--epsilon must be a finite number >= 0 (got -1.0)"),
            ("lrp-cnn", explain + ["--epsilon", "nan"], "--epsilon must be a finite number >= 0 (got nan)"),
            ("lrp-cnn", explain + ["--preset", "alpha2beta1", "--alpha", "-2"], "--alpha must be a finite number >= 1 (got -2.0)"),
            ("lrp-cnn", explain + ["--preset", "alpha2beta1", "--beta", "-0.5"], "--beta must be a finite number >= 0 (got -0.5)"),
            ("lrp-cnn", explain + ["--cutoff", "-3"], "--cutoff -3 out of range"),
            ("lrp-cnn", explain + ["--batch", "-2"], "--batch must be at least 1 (got -2)"),
            ("lrp-cnn", explain + ["--size", "-32"], "--size must be between 1 and 4096 (got -32)"),
            ("lrp-cnn", explain + ["--size", "99999999999"], "--size must be between 1 and 4096"),
            ("lrp-cnn", explain + ["--target", "-1"], "out of range"),
            ("lrp-cnn", explain + ["--shard", "-1/4"], "--shard index -1"),
            ("lrp-cnn", explain + ["--shard", "0/2", "--shard-count", "-2"], "--shard-count must be at least 1 (got -2)"),
            ("lrp-cnn", predict + ["--top", "-5"], "--top must be at least 1 (got -5)"),
            ("lrp-cnn", predict + ["--batch", "-1"], "--batch must be at least 1 (got -1)"),
            ("lrp-cnn", ["eval", "--model", model, "--dataset", work.path, "--out", out, "--batch", "-4"], "--batch must be at least 1 (got -4)"),
            ("lrp-fv", ["explain", photo, "--out", out, "--epsilon", "-1"], "--epsilon must be a finite number >= 0 (got -1.0)"),
            ("lrp-fv", ["explain", photo, "--out", out, "--pca-epsilon", "-100"], "--pca-epsilon must be a finite number >= 0 (got -100.0)"),
            ("lrp-fv", ["explain", photo, "--out", out, "--epsilon", "inf"], "--epsilon must be a finite number >= 0 (got inf)"),
            ("lrp-fv", sift + ["--bin-size", "-4", "--step", "2"], "--bin-size must be at least 1 (got -4)"),
            ("lrp-fv", sift + ["--bin-size", "4", "--step", "-1"], "--step must be at least 1 (got -1)"),
            ("lrp-fv", sift + ["--bin-size", "4", "--step", "2", "--max-descriptors", "-5"], "--max-descriptors must be at least 1 (got -5)"),
            ("lrp-fv", sift + ["--bin-size", "4", "--step", "2", "--window-size", "-1"], "--window-size must be a finite number > 0 (got -1.0)"),
            ("lrp-fv", train + ["--gmm-k", "-3"], "--gmm-k must be between 1 and 4096 (got -3)"),
            ("lrp-fv", train + ["--pca", "-8"], "--pca must be between 1 and 128 (got -8)"),
            ("lrp-fv", train + ["--step", "-1"], "--step must be at least 1 (got -1)"),
            ("lrp-fv", train + ["--svm-c", "-2"], "--svm-c must be a finite number > 0 (got -2.0)"),
            ("lrp-fv", train + ["--svm-epochs", "-1"], "--svm-epochs must be at least 1 (got -1)"),
            ("lrp-fv", train + ["--svm-tolerance", "-0.1"], "--svm-tolerance must be a finite number > 0 (got -0.1)"),
            ("lrp-fv", train + ["--descriptor-sample", "-5"], "--descriptor-sample must be at least 1 (got -5)"),
            ("lrp-fv", train + ["--sample-images", "-5"], "--sample-images must be at least 1 (got -5)"),
            ("lrp-fv", train + ["--gmm-iterations", "-5"], "--gmm-iterations must be at least 1 (got -5)"),
            ("lrp-fv", train + ["--max-images-per-class", "-5"], "--max-images-per-class must be at least 1 (got -5)"),
            ("lrp-fv", train + ["--seed", "-1"], "--seed must be an integer between 0 and 18446744073709551615 (got -1)"),
            ("lrp-fv", train + ["--sizes", "-4,6"], "bin sizes"),
            ("lrp-fv", ["eval", "--dataset", work.path, "--out", out, "--shard", "0/2", "--shard-count", "-1"], "--shard-count must be at least 1"),
            ("lrp-bench", ["cnn", "--repeats", "-1"], "--repeats must be at least 1 (got -1)"),
            ("lrp-bench", ["cnn", "--sweep-repeats", "-1"], "--sweep-repeats must be at least 1 (got -1)"),
            ("lrp-bench", ["cnn", "--zennit-repeats", "-1"], "--zennit-repeats must be at least 1 (got -1)"),
            ("lrp-bench", ["cnn", "--batches", "1,-8"], "--batches must be between 1 and 4096 (got -8)"),
            ("lrp-bench", ["cnn", "--layer-top", "-1"], "--layer-top must be at least 0 (got -1)"),
            ("lrp-bench", ["cnn", "--explain-repeats", "0"], "--explain-repeats must be at least 1 (got 0)"),
            ("lrp-bench", ["fv", "--repeats", "-7"], "--repeats must be at least 1 (got -7)"),
            ("lrp-bench", ["fv", "--gmm-repeats", "-1"], "--gmm-repeats must be at least 1 (got -1)"),
            ("lrp-bench", ["fv", "--clusters", "-256"], "--clusters must be between 1 and 4096 (got -256)"),
            ("lrp-bench", ["fv", "--gmm-data", "-1"], "--gmm-data must be between 256 and 10000000 (got -1)"),
            ("lrp-bench", ["fv", "--fisher-data", "-1"], "--fisher-data must be between 1 and 10000000 (got -1)"),
        ]
        for (tool, arguments, fragment) in cases {
            let r = try CommandRunner.run(tool, arguments, in: work, environment: ["LRP_MODELS": work.path])
            assertErrorLine(r, mentions: [fragment], exitStatus: 1, context: "\(tool) \(arguments.suffix(2).joined(separator: " "))")
            XCTAssertFalse(r.stderr.contains("Missing value"), r.stderr)
        }
        // a class list is not a number: "-1,3" reaches its parser (a malformed list, exit 2)
        let classes = try CommandRunner.run("lrp-cnn", predict + ["--classes", "-1,3"], in: work)
        assertErrorLine(classes, mentions: ["--classes", "got '-1,3'"], exitStatus: 2)
        assertNoFiles(work)
    }

    func testEmptyOutputPathsAreUsageErrors() throws {
        let model = fixture("cnn-import/branchy.o13.folded.onnx").path
        let photo = fixture("core/photo.jpg").path
        let cases: [(String, [String], String)] = [
            ("lrp-cnn", ["explain", "--model", model, photo, "--out", ""], "--out"),
            ("lrp-cnn", ["eval", "--model", model, "--dataset", work.path, "--out", ""], "--out"),
            ("lrp-cnn", ["merge", work.path, "--out", ""], "--out"),
            ("lrp-cnn", ["predict", "--model", "", photo], "--model"),
            ("lrp-fv", ["explain", photo, "--out", ""], "--out"),
            ("lrp-fv", ["train", "--dataset", work.path, "--out", ""], "--out"),
            ("lrp-fv", ["eval", "--dataset", work.path, "--json", ""], "--json"),
            ("lrp-fv", ["encode", "--codebook", "c.safetensors", "--dataset", work.path, "--out", ""], "--out"),
            ("lrp-fv", ["merge", work.path, "--out", ""], "--out"),
            ("lrp-fv", ["sift", photo, "--bin-size", "4", "--step", "4", "--out", ""], "--out"),
        ]
        for (tool, arguments, flag) in cases {
            let r = try CommandRunner.run(tool, arguments, in: work, environment: ["LRP_MODELS": work.path])
            assertErrorLine(r, mentions: [flag, "empty"], exitStatus: 2, context: "\(tool) \(arguments.joined(separator: " "))")
        }
        assertNoFiles(work)
    }
}
