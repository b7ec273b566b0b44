import Foundation
import LRPCore
import XCTest

/// `lrp-cnn explain --rules FILE` (Sources/CNNRelevance/Rules/RuleMapFile.md).
final class RulesOptionTests: XCTestCase {
    /// Conv /c1/Conv (K=1), /dw/Conv (2), /pool/MaxPool, /c2/Conv (3), /fc/Gemm (4).
    let model = fixture("cnn-import/branchy.o13.folded.onnx").path
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-cnn-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func rulesFile(_ json: String) throws -> String {
        let url = work.appendingPathComponent("rules-\(UUID().uuidString).json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testRulesFileSetsTheLayersRules() throws {
        let rules = try rulesFile("""
            {"preset": "alpha2beta1",
             "rules": [{"layers": 1, "rule": "wsquare"}, {"name": "/c2/Conv", "rule": "z-plus"},
                       {"kind": "linear", "rule": "epsilon", "epsilon": 0.5}, {"kind": "maxPool", "rule": "proportional"}]}
            """)
        let out = work.appendingPathComponent("out")
        let r = try CommandRunner.run("lrp-cnn", ["explain", "--model", model, fixture("core/photo.jpg").path,
                                                  "--out", out.path, "--rules", rules], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("photo.json"))) as? [String: Any])
        let plan = try XCTUnwrap(json["rules"] as? [String: Any])
        XCTAssertEqual(plan["preset"] as? String, "alpha2beta1")
        XCTAssertEqual(plan["firstLayer"] as? String, "wsquare")
        XCTAssertEqual(plan["maxPool"] as? String, "proportional")
        let byKind = try XCTUnwrap(plan["rules"] as? [String: Any])
        XCTAssertEqual(byKind["conv"] as? String, "alpha-beta(2.0,1.0)")
        XCTAssertEqual(byKind["linear"] as? String, "epsilon(0.5)")
        XCTAssertEqual((byKind["userMap"] as? [[String: String]])?.count, 4)
        XCTAssertEqual((byKind["userMap"] as? [[String: String]])?[1], ["name": "/c2/Conv", "rule": "z-plus"])
    }

    func testRulesFileErrors() throws {
        let photo = fixture("core/photo.jpg").path
        let cases: [(String, [String])] = [
            (#"{"rules": [{"name": "/c9/Conv", "rule": "flat"}]}"#, ["no layer named '/c9/Conv'", "/c1/Conv"]),
            (#"{"rules": [{"layers": "3-5", "rule": "flat"}]}"#, ["layers 3-5", "out of range"]),
            (#"{"rules": [{"kind": "conv", "rule": "zplus"}]}"#, ["unknown rule 'zplus'"]),
        ]
        for (json, fragments) in cases {
            let rules = try rulesFile(json)
            let out = work.appendingPathComponent("out")
            let r = try CommandRunner.run("lrp-cnn", ["explain", "--model", model, photo, "--out", out.path, "--rules", rules],
                                          in: work)
            assertErrorLine(r, mentions: ["--rules \(rules):"] + fragments, context: json)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output for a bad rule file")
        }
        let missing = work.appendingPathComponent("missing.json").path
        let r = try CommandRunner.run("lrp-cnn", ["explain", "--model", model, photo, "--out", work.appendingPathComponent("o").path,
                                                  "--rules", missing], in: work)
        assertErrorLine(r, mentions: ["--rules \(missing):", "cannot read"])
    }

    func testLayersSaysWhatRulesUses() throws {
        let r = try CommandRunner.run("lrp-cnn", ["layers", "--model", model], in: work)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("--rules FILE selects layers by these names and K numbers"), r.stdout)
    }
}
