import Comparison
import Foundation
import XCTest

/// The output set (docs/DESIGN.md §10.2): every file, from a synthetic result; summaries and the
/// conclusion computed from known curves.
final class FaithfulnessOutputTests: XCTestCase {
    func syntheticResult() -> FaithfulnessResult {
        let settings = PerturbationSettings(regionSize: 9, steps: 10, every: 5, seed: 1, bootstrapResamples: 200)
        let methods: [FaithfulnessMethod] = [.cnn(preset: "epsilon-plus-flat", cutoff: 0), .cnn(preset: "epsilon", cutoff: 0),
                                             .random(.cnn), .centre(.cnn)]
        // per image: the first method drops fast under MoRF, the second is no better than random
        let images = (0..<6).map { i -> ImageResult in
            let jitter = Double(i) * 0.01
            let curves = [
                CurveResult(methodID: methods[0].id, morf: [3, 1, 0.5 + jitter], lerf: [3, 3, 2.9]),
                CurveResult(methodID: methods[1].id, morf: [3, 2.9 - jitter, 2.8], lerf: [3, 2.9, 2.8 + jitter]),
                CurveResult(methodID: methods[2].id, morf: [3, 2.8, 2.6 + jitter], lerf: [3, 2.8, 2.6]),
                CurveResult(methodID: methods[3].id, morf: [3, 2.5, 2.2], lerf: [3, 2.9 - jitter, 2.7]),
            ]
            return ImageResult(path: "/img\(i).jpg", label: "n01440764", families: [
                FamilyImageResult(family: .cnn, targetIndex: 0, targetClass: "n01440764", targetName: "tench", score: 3,
                                  curves: curves, explainSeconds: 0.1, rescoreSeconds: 0.2)])
        }
        let results = FaithfulnessSummary.methods(methods, images: images, settings: settings)
        let timing = TimingReport(images: 6, totalSeconds: 1, explainSeconds: ["cnn": 0.6], rescoreSeconds: ["cnn": 1.2],
                                  rescorings: ["cnn": 60], fvIncremental: nil, secondsPerImage: 1 / 6.0,
                                  projected100ImagesSeconds: 100 / 6.0, workers: 2)
        return FaithfulnessResult(settings: settings, families: [], methods: results, images: images,
                                  conclusions: FaithfulnessSummary.conclusions(results, images: images, settings: settings),
                                  timing: timing)
    }

    func testConclusionNamesTheBestMethodAndThoseNotAboveTheBaselines() throws {
        let r = syntheticResult()
        let c = try XCTUnwrap(r.conclusions.first)
        XCTAssertEqual(c.best, "cnn/epsilon-plus-flat/K=0")
        XCTAssertGreaterThan(try XCTUnwrap(c.marginOverRandom).low, 0)
        XCTAssertEqual(c.notAboveBaselines, ["cnn/epsilon/K=0"])
        XCTAssertTrue(c.statement.contains("NOT above the baselines: cnn/epsilon/K=0"), c.statement)
        let m = try XCTUnwrap(r.method("cnn/epsilon-plus-flat/K=0"))
        XCTAssertEqual(m.meanDropMoRF.count, 3)
        XCTAssertEqual(m.meanDropMoRF[1], 2, accuracy: 1e-12)
        XCTAssertTrue(m.abpc.low <= m.abpc.mean && m.abpc.mean <= m.abpc.high)
    }

    func testWritesTheWholeSetAtomicallyAndItDecodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("faith-out-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = syntheticResult()
        try FaithfulnessOutput.write(r, to: dir)
        try FaithfulnessOutput.write(r, to: dir)  // replacing an earlier set
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(files, FaithfulnessOutput.fileNames.sorted())
        let decoded = try JSONDecoder().decode(FaithfulnessResult.self, from: Data(contentsOf: dir.appendingPathComponent("faithfulness.json")))
        XCTAssertEqual(decoded.methods, r.methods)
        let csv = try String(contentsOf: dir.appendingPathComponent("curves.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 6 * 4 * 2 * 3)
        let md = try String(contentsOf: dir.appendingPathComponent("table.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| cnn/epsilon-plus-flat/K=0 |"))
        let png = try Data(contentsOf: dir.appendingPathComponent("curves.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
        XCTAssertFalse(siblings.contains { $0.hasPrefix(".\(dir.lastPathComponent)") }, "no temporary folder left")
    }
}
