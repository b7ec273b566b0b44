import Foundation
import XCTest
@testable import Evaluation

final class AveragePrecisionTests: XCTestCase {
    func testHandComputedRanking() {
        // Ranking: +, −, +, −  → recall .5 .5 1 1, precision 1 .5 2/3 .5.
        // t = 0 … 0.5 (6 points): 1;  t = 0.6 … 1 (5 points): 2/3.
        let ap = AveragePrecision.voc2007(scores: [0.9, 0.8, 0.7, 0.6], labels: [1, -1, 1, -1])
        XCTAssertEqual(ap, (6.0 + 5.0 * 2.0 / 3.0) / 11.0, accuracy: 1e-12)
    }

    func testLabelZeroIsNeitherTrueNorFalsePositive() {
        // The top-ranked "difficult" image must not lower precision.
        let withDifficult = AveragePrecision.voc2007(scores: [0.95, 0.9, 0.8, 0.7, 0.6], labels: [0, 1, -1, 1, -1])
        let without = AveragePrecision.voc2007(scores: [0.9, 0.8, 0.7, 0.6], labels: [1, -1, 1, -1])
        XCTAssertEqual(withDifficult, without, accuracy: 1e-12)
    }

    func testTiesKeepInputOrderLikeMatlabSort() {
        // Equal scores: MATLAB's stable sort ranks the earlier image first.
        let negativeFirst = AveragePrecision.voc2007(scores: [0.5, 0.5], labels: [-1, 1])
        let positiveFirst = AveragePrecision.voc2007(scores: [0.5, 0.5], labels: [1, -1])
        XCTAssertEqual(positiveFirst, 1, accuracy: 1e-12)
        XCTAssertEqual(negativeFirst, 0.5, accuracy: 1e-12)
    }

    func testNoPositivesGivesZeroAsTheDevkit() {
        XCTAssertEqual(AveragePrecision.voc2007(scores: [0.3, 0.2], labels: [-1, -1]), 0)
    }

    func testPerfectRankingIsOne() {
        XCTAssertEqual(AveragePrecision.voc2007(scores: [3, 2, 1, 0], labels: [1, 1, -1, -1]), 1, accuracy: 1e-12)
    }

    /// Cases computed by Scripts/voc_ap_reference.py, a line-by-line port of VOCevalcls.m.
    func testMatchesDevkitPortOnFixtureCases() throws {
        let url = Fixtures.url("eval/voc_ap.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            return XCTFail("committed fixture \(url.path) is missing (Scripts/voc_ap_reference.py writes it)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 0)
        for c in cases {
            let scores = (c["scores"] as! [Double]).map { Float($0) }
            let labels = (c["labels"] as! [Int]).map { Int8($0) }
            let expected = c["ap"] as! Double
            XCTAssertEqual(AveragePrecision.voc2007(scores: scores, labels: labels), expected, accuracy: 1e-9,
                           "\(c["name"] ?? "?")")
        }
    }

    func testReportTopOneAndMeanAP() {
        let report = EvaluationReport(classes: ["a", "b"],
                                      scores: [[2, 1], [0, 3], [5, 4]],
                                      labels: [[1, -1], [-1, 1], [-1, 1]])
        XCTAssertEqual(report.top1, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(report.meanAveragePrecision, (report.averagePrecision[0] + report.averagePrecision[1]) / 2, accuracy: 1e-12)
        XCTAssertTrue(report.table().contains("mAP"))
    }
}

enum Fixtures {
    /// `Tests/Fixtures/<relative>`, located from this source file.
    static func url(_ relative: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(relative)
    }
}
