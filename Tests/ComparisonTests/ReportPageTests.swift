@testable import Comparison
import Evaluation
import Foundation
import LRPCore
import XCTest

/// The report page's HTML (docs/DESIGN.md §10.3), rendered from the Mustache templates.
final class ReportPageTests: XCTestCase {
    func testOneSectionPerImageWithSlidersOverEveryDepth() throws {
        let html = try ReportPage.html(try ReportFixtures.document(names: ["a.JPEG", "b.JPEG", "c.JPEG"]))
        XCTAssertEqual(html.components(separatedBy: "<section class=\"image\"").count - 1, 3)
        for i in 0..<3 { XCTAssertTrue(html.contains("id=\"image-\(i)\""), "section \(i)") }
        // Only the first image is visible before the script runs.
        XCTAssertEqual(html.components(separatedBy: " hidden>").count - 1, 2)
        // Slider positions 0…stops−1: three cut-offs, two FV resolutions, per image.
        XCTAssertEqual(html.components(separatedBy: "id=\"cnn-slider-1\" min=\"0\" max=\"\(ReportFixtures.cutoffs.count - 1)\"").count - 1, 1)
        XCTAssertEqual(html.components(separatedBy: "id=\"fv-slider-2\" min=\"0\" max=\"1\"").count - 1, 1)
        XCTAssertEqual(html.components(separatedBy: "data-src=\"images/001/cnn-k").count - 1, ReportFixtures.cutoffs.count)
        XCTAssertTrue(html.contains("data-key=\"8\" data-label=\"K = 8\" data-src=\"images/002/cnn-k08.png\""))
        XCTAssertTrue(html.contains("<option value=\"1\">1: tench — b.JPEG</option>"))
        // Tables, plot, no external resources.
        XCTAssertTrue(html.contains("<caption>AOPC</caption>"))
        XCTAssertTrue(html.contains("<tr class=\"emphasized\"><td>CNN K = 0</td><td class=\"num\">1.00</td></tr>"))
        XCTAssertTrue(html.contains("<td>tench</td><td class=\"num\">90.00</td>"))
        XCTAssertTrue(html.contains("src=\"faithfulness/plot.png\""))
        XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains("//cdn"))
    }

    func testTextIsEscaped() throws {
        let evil = "<script>alert('x')</script>&\"quoted\""
        var document = try ReportFixtures.document(names: [evil], className: "<b>class</b>")
        document.title = "Report <i>one</i>"
        document.notes = ["a < b & c"]
        let html = try ReportPage.html(document)
        XCTAssertFalse(html.contains("<script>alert"))
        XCTAssertFalse(html.contains("<b>class</b>"))
        XCTAssertFalse(html.contains("<i>one</i>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;quoted&quot;"))
        XCTAssertTrue(html.contains("<title>Report &lt;i&gt;one&lt;/i&gt;</title>"))
        XCTAssertTrue(html.contains("<li>a &lt; b &amp; c</li>"))
        // The page's own script is there once, unescaped.
        XCTAssertEqual(html.components(separatedBy: "<script>").count - 1, 1)
        XCTAssertTrue(html.contains("history.replaceState"))
    }

    func testNoOptionalSectionsWithoutContent() throws {
        let html = try ReportPage.html(ReportDocument(title: "Empty", dataset: "none", images: []))
        XCTAssertFalse(html.contains("id=\"faithfulness\""))
        XCTAssertFalse(html.contains("id=\"average-precision\""))
        XCTAssertTrue(html.contains("<p>No images.</p>"))
    }

    func testAveragePrecisionTableFromEvaluationReports() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The JSON that `EvaluationReport.json` (lrp-cnn/lrp-fv eval) writes.
        func write(_ name: String, _ report: EvaluationReport) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: report.json), to: url)
            return url
        }
        let classes = ["n01440764", "n02102040"]
        let labels: [[Int8]] = [[1, -1], [-1, 1], [1, -1]]
        let fv = try write("fv.json", EvaluationReport(classes: classes, classNames: ["tench", "English springer"],
                                                       scores: [[1, 0], [0, 1], [0.2, 0.9]], labels: labels))
        let cnn = try write("cnn.json", EvaluationReport(classes: classes, classNames: ["tench", "English springer"],
                                                         scores: [[2, 0], [0, 2], [3, 0]], labels: labels))
        let table = try XCTUnwrap(AveragePrecisionTable.table(fv: try AveragePrecisionTable.read(fv),
                                                              cnn: try AveragePrecisionTable.read(cnn)))
        XCTAssertEqual(table.header, ["class", "Fisher vectors", "CNN"])
        XCTAssertEqual(table.rows.count, 4)
        XCTAssertEqual(table.rows[0][0], "tench")
        XCTAssertEqual(table.rows[3], ["top-1 accuracy", "66.67", "100.00"])
        XCTAssertEqual(table.rows[2][2], "100.00")
        XCTAssertEqual(table.emphasized, [2])
        // A file that is not such a report: one message naming it.
        let bad = dir.appendingPathComponent("bad.json")
        try AtomicFile.write(Data("{\"classes\": 3}".utf8), to: bad)
        XCTAssertThrowsError(try AveragePrecisionTable.read(bad)) { error in
            XCTAssertTrue((error as? LRPError)?.message.contains("bad.json") == true)
        }
    }

    func testReportFolderAppearsOnlyWhenFinished() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: parent) }
        let out = parent.appendingPathComponent("report")
        let folder = try ReportFolder(destination: out)
        let document = try ReportFixtures.document(names: ["a.JPEG"], folder: folder)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        try folder.finish(document)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("images/000/cnn-k08.png").path))
        let json = try JSONDecoder().decode(ReportDocument.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
        XCTAssertEqual(json, document)
        // Only the report is left in the parent: no staging folder.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["report"])

        // A second run replaces the report; a failed one leaves the old report untouched.
        let again = try ReportFolder(destination: out)
        try again.write(Data("x".utf8), to: "images/000/panel.png")
        again.discard()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["report"])
        let third = try ReportFolder(destination: out)
        try third.finish(ReportDocument(title: "Second", dataset: "none", images: []))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("images").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["report"])

        // Never into a folder that holds other things, nor over a file.
        let other = parent.appendingPathComponent("other")
        try AtomicFile.write(Data("keep".utf8), to: other.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try ReportFolder(destination: other))
        XCTAssertThrowsError(try ReportFolder(destination: other.appendingPathComponent("notes.txt")))
    }
}
