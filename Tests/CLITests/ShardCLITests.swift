import Foundation
import LRPCore
import XCTest

/// Sharded runs (docs/DESIGN.md §9): shards plus merge give exactly the unsharded results,
/// re-runs resume, and every inconsistent shard set is refused.
final class ShardCLITests: XCTestCase {
    var work: URL!
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/cnn-import/branchy.o13.folded.onnx").standardizedFileURL.path

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    // MARK: lrp-cnn

    var cnnEvalArgs: [String] {
        ["eval", "--model", fixture, "--classes", "0,3,7", "--dataset", work.appendingPathComponent("data").path, "--batch", "3"]
    }

    func testCNNShardedEvalMergesToTheUnshardedReport() throws {
        try makeCNNDataset()
        let whole = work.appendingPathComponent("whole.json")
        let r = try cnn(cnnEvalArgs + ["--out", whole.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let shards = work.appendingPathComponent("shards")
        for i in 0..<3 {
            let s = try cnn(cnnEvalArgs + ["--out", shards.path, "--shard", "\(i)/3"])
            XCTAssertEqual(s.status, 0, s.stderr)
        }
        let merged = work.appendingPathComponent("merged.json")
        let m = try cnn(["merge", shards.path, "--out", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try withoutTimes(whole), try withoutTimes(merged))
        XCTAssertEqual(tableLines(r.stdout), tableLines(m.stdout))
        XCTAssertTrue(m.stderr.contains("broken.jpg"), m.stderr)
    }

    func testCNNShardFromEnvironmentAndResume() throws {
        try makeCNNDataset()
        let shards = work.appendingPathComponent("shards")
        let env = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"]
        var s = try cnn(cnnEvalArgs + ["--out", shards.path], environment: env)
        XCTAssertEqual(s.status, 0, s.stderr)
        let folder = shards.appendingPathComponent("shard-0001-of-0002")
        let first = try manifest(folder)
        XCTAssertEqual(first["shardIndex"] as? Int, 1)
        // A finished shard does nothing again.
        s = try cnn(cnnEvalArgs + ["--out", shards.path], environment: env)
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stderr.contains("already complete"), s.stderr)
        // Kubernetes: index from the environment, count on the command line.
        s = try cnn(cnnEvalArgs + ["--out", shards.path, "--shard-count", "2"], environment: ["JOB_COMPLETION_INDEX": "0"])
        XCTAssertEqual(s.status, 0, s.stderr)
        // A shard killed mid-way: one item back to pending and its score row gone.
        let url = folder.appendingPathComponent("manifest.json")
        var m = try manifest(folder)
        var items = m["items"] as! [[String: Any]]
        items[0]["status"] = "pending"
        items[0]["checksum"] = NSNull()
        m["items"] = items
        try JSONSerialization.data(withJSONObject: m).write(to: url)
        let merged = work.appendingPathComponent("merged.json")
        let refused = try cnn(["merge", shards.path, "--out", merged.path])
        assertErrorLine(refused, mentions: ["incomplete"], exitStatus: 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: merged.path))
        s = try cnn(cnnEvalArgs + ["--out", shards.path, "--shard", "1/2"])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stdout.contains("done"), s.stdout)
        let again = try manifest(folder)
        XCTAssertEqual((again["counts"] as? [String: Int])?["pending"], 0)
        XCTAssertEqual((again["counts"] as? [String: Int])?["items"], (first["counts"] as? [String: Int])?["items"])
        let ok = try cnn(["merge", shards.path, "--out", merged.path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let whole = work.appendingPathComponent("whole.json")
        XCTAssertEqual(try cnn(cnnEvalArgs + ["--out", whole.path]).status, 0)
        XCTAssertEqual(try withoutTimes(whole), try withoutTimes(merged))
    }

    func testCNNShardedExplainAndCheck() throws {
        try makeCNNDataset()
        let images = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("data/val/a").path)
            .filter { $0.hasSuffix(".png") }.map { work.appendingPathComponent("data/val/a/\($0)").path }
        let out = work.appendingPathComponent("explain")
        let args = ["explain", "--model", fixture, "--out", out.path] + images
        for i in 0..<2 {
            let s = try cnn(args + ["--shard", "\(i)/2"])
            XCTAssertEqual(s.status, 0, s.stderr)
        }
        let again = try cnn(args + ["--shard", "0/2"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("0 to do"), again.stdout)
        let index = work.appendingPathComponent("index.json")
        let m = try cnn(["merge", out.path, "--out", index.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: index)) as? [String: Any])
        XCTAssertEqual((json["items"] as? [Any])?.count, images.count)
        // Deleting one output makes the shard do that image again.
        let shard0 = out.appendingPathComponent("shard-0000-of-0002")
        let heatmap = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: shard0.path).first { $0.hasSuffix("heatmap.png") })
        try FileManager.default.removeItem(at: shard0.appendingPathComponent(heatmap))
        let redo = try cnn(args + ["--shard", "0/2"])
        XCTAssertEqual(redo.status, 0, redo.stderr)
        XCTAssertTrue(redo.stdout.contains("1 to do"), redo.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: shard0.appendingPathComponent(heatmap).path))
        XCTAssertEqual(try cnn(["merge", "--check", out.path]).status, 0)
    }

    func testCNNBadShards() throws {
        try makeCNNDataset()
        let shards = work.appendingPathComponent("shards")
        let out = work.appendingPathComponent("m.json")
        assertErrorLine(try cnn(cnnEvalArgs + ["--out", shards.path, "--shard", "3/3"]), mentions: ["--shard", "out of range"], exitStatus: 1)
        assertErrorLine(try cnn(cnnEvalArgs + ["--out", shards.path, "--shard", "0/0"]), mentions: ["--shard", "at least 1"], exitStatus: 1)
        assertErrorLine(try cnn(cnnEvalArgs + ["--out", shards.path, "--shard", "x"]), mentions: ["--shard", "i/n"], exitStatus: 2)
        assertErrorLine(try cnn(cnnEvalArgs + ["--out", shards.path], environment: ["JOB_COMPLETION_INDEX": "0"]),
                        mentions: ["--shard-count"], exitStatus: 1)
        assertErrorLine(try cnn(cnnEvalArgs + ["--out", shards.path, "--shard", "0/2", "--shard-count", "0"]),
                        mentions: ["--shard-count"], exitStatus: 1)
        for i in 0..<2 { XCTAssertEqual(try cnn(cnnEvalArgs + ["--out", shards.path, "--shard", "\(i)/2"]).status, 0) }
        let s0 = shards.appendingPathComponent("shard-0000-of-0002"), s1 = shards.appendingPathComponent("shard-0001-of-0002")
        // missing and duplicated shards
        assertErrorLine(try cnn(["merge", s0.path, "--out", out.path]), mentions: ["missing shard", "1/2"], exitStatus: 1)
        assertErrorLine(try cnn(["merge", s0.path, s0.path, s1.path, "--out", out.path]), mentions: ["twice"], exitStatus: 1)
        // other options, other model
        let other = work.appendingPathComponent("other")
        XCTAssertEqual(try cnn(cnnEvalArgs + ["--out", other.path, "--shard", "1/2", "--crop", "center"]).status, 0)
        assertErrorLine(try cnn(["merge", s0.path, other.appendingPathComponent("shard-0001-of-0002").path, "--out", out.path]),
                        mentions: ["options", "crop"], exitStatus: 1)
        let copy = work.appendingPathComponent("copy.onnx")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fixture))
        bytes.append(contentsOf: [0xA2, 0x06, 0x00]) // an empty unknown field: same graph, another file
        try bytes.write(to: copy)
        // a re-run into a folder of another model is refused
        var args = cnnEvalArgs
        args[2] = copy.path
        assertErrorLine(try cnn(args + ["--out", shards.path, "--shard", "1/2"]), mentions: ["another model"], exitStatus: 1)
        XCTAssertEqual(try cnn(args + ["--out", other.path, "--shard", "0/2"]).status, 0)
        assertErrorLine(try cnn(["merge", other.appendingPathComponent("shard-0000-of-0002").path, s1.path, "--out", out.path]),
                        mentions: ["another model"], exitStatus: 1)
        // missing / corrupt manifest, missing scores
        let broken = work.appendingPathComponent("broken")
        try FileManager.default.copyItem(at: shards, to: broken)
        let b1 = broken.appendingPathComponent("shard-0001-of-0002")
        try Data("{\"format\": ".utf8).write(to: b1.appendingPathComponent("manifest.json"))
        assertErrorLine(try cnn(["merge", broken.path, "--out", out.path]), mentions: ["corrupt"], exitStatus: 1)
        try FileManager.default.removeItem(at: b1.appendingPathComponent("manifest.json"))
        assertErrorLine(try cnn(["merge", b1.path, "--out", out.path]), mentions: ["no shard manifest"], exitStatus: 1)
        assertErrorLine(try cnn(["merge", "--out", out.path]), mentions: ["no shard folders"], exitStatus: 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    // MARK: lrp-fv

    static let tinyTraining = ["--gmm-k", "3", "--pca", "8", "--sizes", "4,6", "--step", "4", "--pyramid", "1x1,1x2",
                               "--descriptor-sample", "1500", "--sample-images", "6", "--in-memory"]

    func testFVShardedEvalMergesToTheUnshardedReport() throws {
        let data = try makeStripesDataset(in: work)
        let model = work.appendingPathComponent("m.safetensors")
        XCTAssertEqual(try fv(["train", "--dataset", data.path, "--out", model.path] + Self.tinyTraining).status, 0)
        let args = ["eval", "--model", model.path, "--dataset", data.path, "--split", "train"]
        let whole = work.appendingPathComponent("whole.json")
        let r = try fv(args + ["--json", whole.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let shards = work.appendingPathComponent("shards")
        for i in 0..<2 {
            let s = try fv(args + ["--out", shards.path, "--shard", "\(i)/2"])
            XCTAssertEqual(s.status, 0, s.stderr)
        }
        let again = try fv(args + ["--out", shards.path, "--shard", "1/2"])
        XCTAssertTrue(again.stderr.contains("already complete"), again.stderr)
        let merged = work.appendingPathComponent("merged.json")
        let m = try fv(["merge", shards.path, "--json", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try Data(contentsOf: whole), try Data(contentsOf: merged))
        XCTAssertEqual(r.stdout, m.stdout)
        XCTAssertTrue(m.stderr.contains("broken.jpg"), m.stderr)
        // a shard of another model
        let other = work.appendingPathComponent("other.safetensors")
        XCTAssertEqual(try fv(["train", "--dataset", data.path, "--out", other.path, "--seed", "2"] + Self.tinyTraining).status, 0)
        let o = work.appendingPathComponent("o")
        XCTAssertEqual(try fv(["eval", "--model", other.path, "--dataset", data.path, "--split", "train", "--out", o.path, "--shard", "1/2"]).status, 0)
        let refused = try fv(["merge", shards.appendingPathComponent("shard-0000-of-0002").path,
                              o.appendingPathComponent("shard-0001-of-0002").path, "--json", work.appendingPathComponent("x.json").path])
        assertErrorLine(refused, mentions: ["another model"], exitStatus: 1)
        assertErrorLine(try fv(args + ["--shard", "0/2"]), mentions: ["--out"], exitStatus: 2)
    }

    func testFVEncodeShardsThenTrainEqualsOneProcess() throws {
        let data = try makeStripesDataset(in: work)
        let whole = work.appendingPathComponent("whole.safetensors")
        XCTAssertEqual(try fv(["train", "--dataset", data.path, "--out", whole.path] + Self.tinyTraining).status, 0)
        let codebook = work.appendingPathComponent("codebook.safetensors")
        let c = try fv(["train", "--dataset", data.path, "--out", codebook.path, "--codebook-only"] + Self.tinyTraining)
        XCTAssertEqual(c.status, 0, c.stderr)
        let features = work.appendingPathComponent("features")
        let encode = ["encode", "--codebook", codebook.path, "--dataset", data.path, "--out", features.path]
        for i in 0..<3 {
            let e = try fv(encode + ["--shard", "\(i)/3"])
            XCTAssertEqual(e.status, 0, e.stderr)
        }
        // killed mid-way: a torn row in shard 0, a truncated manifest in shard 1
        let s0 = features.appendingPathComponent("shard-0000-of-0003"), s1 = features.appendingPathComponent("shard-0001-of-0003")
        let vectors = s0.appendingPathComponent("fisher-vectors.npy")
        var bytes = try Data(contentsOf: vectors)
        bytes.replaceSubrange((bytes.count - 8)..<bytes.count, with: [UInt8](repeating: 0x7B, count: 8))
        try bytes.write(to: vectors)
        let manifest1 = s1.appendingPathComponent("manifest.json")
        try Data(try Data(contentsOf: manifest1).prefix(40)).write(to: manifest1)
        let model = work.appendingPathComponent("sharded.safetensors")
        let train = ["train", "--codebook", codebook.path, "--features", features.path, "--out", model.path] + Self.tinyTraining
        assertErrorLine(try fv(train), mentions: ["corrupt"], exitStatus: 1)
        for i in 0..<2 {
            let e = try fv(encode + ["--shard", "\(i)/3"])
            XCTAssertEqual(e.status, 0, e.stderr)
        }
        XCTAssertEqual(try fv(["merge", "--check", features.path]).status, 0)
        let t = try fv(train)
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stderr.contains("broken.jpg"), t.stderr)
        XCTAssertEqual(try tensor("svm.weights", in: whole), try tensor("svm.weights", in: model))
        XCTAssertEqual(try tensor("svm.biases", in: whole), try tensor("svm.biases", in: model))
        XCTAssertEqual(try tensor("gmm.means", in: whole), try tensor("gmm.means", in: model))
        let a = work.appendingPathComponent("a.json"), b = work.appendingPathComponent("b.json")
        XCTAssertEqual(try fv(["eval", "--model", whole.path, "--dataset", data.path, "--json", a.path]).status, 0)
        XCTAssertEqual(try fv(["eval", "--model", model.path, "--dataset", data.path, "--json", b.path]).status, 0)
        let apA = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: a)) as? [String: Any])["averagePrecision"] as? [String: Double]
        let apB = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: b)) as? [String: Any])["averagePrecision"] as? [String: Double]
        for (k, v) in try XCTUnwrap(apA) { XCTAssertEqual(v, apB?[k] ?? .nan, accuracy: 1e-6) }
        // features of another codebook, a trained model as codebook
        let other = work.appendingPathComponent("other.safetensors")
        XCTAssertEqual(try fv(["train", "--dataset", data.path, "--out", other.path, "--codebook-only", "--seed", "3"] + Self.tinyTraining).status, 0)
        assertErrorLine(try fv(["train", "--codebook", other.path, "--features", features.path, "--out", model.path]),
                        mentions: ["another codebook"], exitStatus: 1)
        assertErrorLine(try fv(encode.map { $0 == codebook.path ? whole.path : $0 } + ["--shard", "0/3"]), mentions: ["not a codebook"], exitStatus: 1)
        assertErrorLine(try fv(["train", "--features", features.path, "--out", model.path]), mentions: ["--codebook"], exitStatus: 2)
    }

    func testFVShardedExplain() throws {
        let data = try makeStripesDataset(in: work)
        let model = work.appendingPathComponent("m.safetensors")
        XCTAssertEqual(try fv(["train", "--dataset", data.path, "--out", model.path] + Self.tinyTraining).status, 0)
        let images = ["horiz", "vert"].flatMap { c in (0..<3).map { data.appendingPathComponent("val/\(c)/img\($0).png").path } }
            .filter { !$0.contains("vert/img0") } + [data.appendingPathComponent("val/vert/img0.png").path]
        let out = work.appendingPathComponent("ex")
        let args = ["explain", "--model", model.path, "--out", out.path, "--resolution", "descriptor"]
        // distinct names per shard: horiz and vert pictures share names, so one shard per class
        let horiz = images.filter { $0.contains("horiz") }
        XCTAssertEqual(try fv(args + horiz + ["--shard", "0/2"]).status, 0)
        assertErrorLine(try fv(["merge", out.path]), mentions: ["missing shard"], exitStatus: 1)
        XCTAssertEqual(try fv(args + horiz + ["--shard", "1/2"]).status, 0)
        let again = try fv(args + horiz + ["--shard", "1/2"])
        XCTAssertTrue(again.stdout.contains("0 to do"), again.stdout)
        let index = work.appendingPathComponent("index.json")
        let m = try fv(["merge", out.path, "--out", index.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertTrue(m.stdout.contains("3 items"), m.stdout)
        assertErrorLine(try fv(args + images + ["--shard", "1/2"]), mentions: ["another run"], exitStatus: 1)
    }

    // MARK: helpers

    /// The raw bytes of a tensor of a safetensors file.
    func tensor(_ name: String, in url: URL) throws -> Data {
        let raw = try Data(contentsOf: url)
        let n = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: raw.subdata(in: 8..<(8 + n))) as? [String: Any])
        let offsets = try XCTUnwrap((header[name] as? [String: Any])?["data_offsets"] as? [Int])
        return raw.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1]))
    }

    /// `data/val/{a,b,c}`: 4 small pictures each of different sizes, plus a corrupt JPEG.
    func makeCNNDataset() throws {
        for (c, name) in ["a", "b", "c"].enumerated() {
            let dir = work.appendingPathComponent("data/val/\(name)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<4 {
                let (w, h) = (30 + 3 * i, 28 + 2 * c)
                var state = UInt64(17 * c + i + 1)
                let pixels = (0..<(w * h * 3)).map { k -> UInt8 in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return UInt8(truncatingIfNeeded: (k % 3 == c ? 120 : 0) + Int(state >> 58))
                }
                try PNGFile.write(pixels, width: w, height: h, channels: 3, to: dir.appendingPathComponent("img\(i).png"))
            }
        }
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: work.appendingPathComponent("data/val/b/broken.jpg"))
    }

    func manifest(_ folder: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any])
    }

    /// The report's bytes with the run-specific `seconds` line removed.
    func withoutTimes(_ url: URL) throws -> String {
        String(decoding: try Data(contentsOf: url), as: UTF8.self).split(separator: "\n")
            .filter { !$0.contains("\"seconds\"") }.joined(separator: "\n")
    }

    func tableLines(_ stdout: String) -> [Substring] {
        stdout.split(separator: "\n").filter { !$0.contains("written to") }
    }

    func cnn(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandOutcome {
        try CommandRunner.run("lrp-cnn", arguments, in: work, environment: ["LRP_MODELS": work.path].merging(environment) { $1 })
    }

    func fv(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandOutcome {
        try CommandRunner.run("lrp-fv", arguments, in: work, environment: ["LRP_MODELS": work.path].merging(environment) { $1 })
    }
}
