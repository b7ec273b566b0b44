@testable import Comparison
import Foundation
import LRPCore
import XCTest

/// Where the report's default dataset is found (docs/DESIGN.md §10.3).
final class ReportDatasetTests: XCTestCase {
    func testDefaultFolderNextToTheRepository() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("report-dataset-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let repo = base.appendingPathComponent("repo"), val = base.appendingPathComponent("shared/data/imagenette/val")
        try AtomicFile.ensureDirectory(repo.appendingPathComponent(".build/release"))
        let elsewhere = base.appendingPathComponent("elsewhere")
        try AtomicFile.ensureDirectory(elsewhere)
        let exe = repo.appendingPathComponent(".build/release/lrp-compare").path

        // Not there yet: one message that says what to set.
        XCTAssertThrowsError(try ReportDataset.defaultFolder(environment: [:], workingDirectory: elsewhere.path, executable: exe)) {
            XCTAssertTrue(($0 as? LRPError)?.message.contains("LRP_IMAGENETTE") == true)
        }
        try AtomicFile.ensureDirectory(val)
        // From the repository as working folder, and from the executable inside it.
        XCTAssertEqual(try ReportDataset.defaultFolder(environment: [:], workingDirectory: repo.path, executable: "/nowhere/x").path,
                       val.standardizedFileURL.path)
        XCTAssertEqual(try ReportDataset.defaultFolder(environment: [:], workingDirectory: elsewhere.path, executable: exe).path,
                       val.standardizedFileURL.path)
        // $LRP_IMAGENETTE wins, and must hold val/.
        let other = base.appendingPathComponent("other")
        try AtomicFile.ensureDirectory(other.appendingPathComponent("val"))
        XCTAssertEqual(try ReportDataset.defaultFolder(environment: ["LRP_IMAGENETTE": other.path], workingDirectory: repo.path,
                                                       executable: exe).path,
                       other.appendingPathComponent("val").path)
        XCTAssertThrowsError(try ReportDataset.defaultFolder(environment: ["LRP_IMAGENETTE": elsewhere.path],
                                                             workingDirectory: repo.path, executable: exe))
    }

    func testEntryNamesKeepTheClassFolder() {
        let list = [ImageList.Entry(url: URL(fileURLWithPath: "/d/val/n01440764/a.JPEG"), label: "n01440764"),
                    ImageList.Entry(url: URL(fileURLWithPath: "/p/photo.jpg"), label: nil)]
        XCTAssertEqual(ReportDataset.entries(list).map(\.name), ["n01440764/a.JPEG", "photo.jpg"])
    }
}
