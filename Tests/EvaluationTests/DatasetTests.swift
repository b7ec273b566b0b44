import Foundation
import XCTest
@testable import Evaluation

final class DatasetTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-dataset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    private func touch(_ relative: String) throws {
        let url = tmp.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([0xFF, 0xD8, 0xFF]).write(to: url)
    }

    func testImageFolderLayoutSkipsEmptyClassFoldersWithAWarning() throws {
        try touch("train/n02/b.JPEG")
        try touch("train/n01/a.JPEG")
        try touch("train/n01/c.jpg")
        try touch("train/n01/notes.txt")
        try FileManager.default.createDirectory(at: tmp.appendingPathComponent("train/n03"), withIntermediateDirectories: true)
        let d = try Dataset.load(root: tmp, layout: .imagenet, split: "train")
        XCTAssertEqual(d.classes, ["n01", "n02"])
        XCTAssertEqual(d.items.map(\.id), ["n01/a.JPEG", "n01/c.jpg", "n02/b.JPEG"])
        XCTAssertEqual(d.items[2].labels, [-1, 1])
        XCTAssertEqual(d.warnings.count, 1)
        XCTAssertTrue(d.warnings[0].contains("n03"))
        XCTAssertTrue(d.isSingleLabel)
    }

    func testMissingSplitIsAClearError() {
        XCTAssertThrowsError(try Dataset.load(root: tmp, layout: .imagenet, split: "val")) { e in
            XCTAssertTrue("\(e)".contains("does not exist"), "\(e)")
        }
    }

    func testVOCLayoutReadsCRLFAndDoubleSpacesAndSkipsMissingImages() throws {
        let main = tmp.appendingPathComponent("ImageSets/Main")
        try FileManager.default.createDirectory(at: main, withIntermediateDirectories: true)
        try "000001 -1\r\n000002  1\r\n000003  0\r\n".write(to: main.appendingPathComponent("cat_test.txt"), atomically: true, encoding: .utf8)
        try "000001  1\r\n000002 -1\r\n000003 -1\r\n".write(to: main.appendingPathComponent("dog_test.txt"), atomically: true, encoding: .utf8)
        try "000001\r\n000002\r\n000003\r\n".write(to: main.appendingPathComponent("test.txt"), atomically: true, encoding: .utf8)
        try touch("JPEGImages/000001.jpg")
        try touch("JPEGImages/000002.jpg")
        let d = try Dataset.load(root: tmp, layout: .voc, split: "test")
        XCTAssertEqual(d.classes, ["cat", "dog"])
        XCTAssertEqual(d.items.map(\.id), ["000001", "000002"])
        XCTAssertEqual(d.items[0].labels, [-1, 1])
        XCTAssertEqual(d.items[1].labels, [1, -1])
        XCTAssertEqual(d.warnings, ["1 listed images have no file in JPEGImages/: skipped"])
        let all = try Dataset.load(root: tmp, layout: .voc, split: "test", requireImages: false)
        XCTAssertEqual(all.items.last?.labels, [0, -1])
    }

    func testMalformedVOCLineIsAnError() throws {
        let main = tmp.appendingPathComponent("ImageSets/Main")
        try FileManager.default.createDirectory(at: main, withIntermediateDirectories: true)
        try "000001 maybe\n".write(to: main.appendingPathComponent("cat_val.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Dataset.load(root: tmp, layout: .voc, split: "val", requireImages: false)) { e in
            XCTAssertTrue("\(e)".contains("line 1"), "\(e)")
        }
    }

    /// The real VOC 2007 label files (optional: only where ../shared/data exists).
    func testRealVOC2007LabelFiles() throws {
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/voc2007-imagesets")
        guard FileManager.default.fileExists(atPath: shared.appendingPathComponent("Main").path) else {
            throw XCTSkip("VOC 2007 label files not present")
        }
        // The files live in <root>/Main; give the reader the layout it expects through a link.
        let root = tmp.appendingPathComponent("voc")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("ImageSets"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("ImageSets/Main"),
                                                   withDestinationURL: shared.appendingPathComponent("Main"))
        let test = try Dataset.load(root: root, layout: .voc, split: "test", requireImages: false)
        XCTAssertEqual(test.classes.count, 20)
        XCTAssertEqual(test.classes.first, "aeroplane")
        XCTAssertEqual(test.items.count, 4952)
        let trainval = try Dataset.load(root: root, layout: .voc, split: "trainval", requireImages: false)
        XCTAssertEqual(trainval.items.count, 5011)
        XCTAssertFalse(trainval.isSingleLabel)
        // Every image has a positive or a difficult-only label for some class.
        XCTAssertTrue(trainval.items.allSatisfy { $0.labels.contains { $0 >= 0 } })
        // AP of a scorer that ranks by the label itself is 1 for every class with positives.
        for c in test.classes.indices {
            let labels = test.items.map { $0.labels[c] }
            XCTAssertEqual(AveragePrecision.voc2007(scores: labels.map(Float.init), labels: labels), 1, accuracy: 1e-12)
        }
    }
}
