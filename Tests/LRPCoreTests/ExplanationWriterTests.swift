import Foundation
import XCTest
@testable import LRPCore

/// `ExplanationWriter`: the sets of one image are written all or none.
final class ExplanationWriterTests: XCTestCase {
    func sets(_ dir: URL, variants: [String], relevance: Bool = true) -> [ExplanationSet] {
        let map = NDArray(shape: [2, 3], data: [0, 1, -1, 0.5, 2, -2])
        let image = Image(width: 3, height: 2, channels: 3, pixels: [Float](repeating: 128, count: 18))
        return variants.map { v in
            ExplanationSet(files: ExplanationFiles(directory: dir, stem: "cat", variant: v), heatmap: map,
                           relevance: relevance ? NDArray(shape: [1, 2, 3], data: map.data) : nil, picture: image,
                           summary: ["variant": v])
        }
    }

    func testWritesEverySetInOrder() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let written = try ExplanationWriter(colormap: .bwr).write(sets(dir, variants: ["bin", "descriptor"], relevance: false))
        XCTAssertEqual(written.map(\.lastPathComponent), [
            "cat.bin.heatmap.npy", "cat.bin.heatmap.png", "cat.bin.overlay.png", "cat.bin.json",
            "cat.descriptor.heatmap.npy", "cat.descriptor.heatmap.png", "cat.descriptor.overlay.png", "cat.descriptor.json",
        ])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(),
                       written.map(\.lastPathComponent).sorted(), "no temporary files left")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cat.descriptor.json")))
        XCTAssertEqual((json as? [String: Any])?["variant"] as? String, "descriptor")
    }

    /// A file of a later set that cannot be written takes the earlier sets' files with it.
    func testFailingLaterSetLeavesNoFilesOfTheImage() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A directory where the last set's overlay should go: its rename fails.
        let blocked = "cat.cutoff-2.overlay.png"
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(blocked), withIntermediateDirectories: false)
        XCTAssertThrowsError(try ExplanationWriter().write(sets(dir, variants: ["cutoff-0", "cutoff-1", "cutoff-2"]))) { error in
            XCTAssertTrue(error.userMessage.contains("cannot write"), error.userMessage)
            XCTAssertTrue(error.userMessage.contains(blocked), error.userMessage)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [blocked])
    }

    func testRemoveTakesBackWrittenFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let written = try ExplanationWriter().write(sets(dir, variants: ["a"]))
        XCTAssertEqual(written.count, 5)
        ExplanationWriter.remove(written)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    /// `outputs` picks the files of each set, in the usual order.
    func testOutputsSelectTheFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outputs = try ExplanationOutputs(parsing: "json, overlay,relevance")
        XCTAssertEqual(outputs.suffixes, ["relevance.npy", "overlay.png", "json"])
        let written = try ExplanationWriter(outputs: outputs).write(sets(dir, variants: ["a"]))
        XCTAssertEqual(written.map(\.lastPathComponent), ["cat.a.relevance.npy", "cat.a.overlay.png", "cat.a.json"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(),
                       written.map(\.lastPathComponent).sorted())
        XCTAssertEqual(try ExplanationOutputs(parsing: "relevance,heatmap,png,overlay,json"), .all)
        XCTAssertThrowsError(try ExplanationOutputs(parsing: "heatmap,pdf")) { error in
            XCTAssertTrue(error.userMessage.contains("pdf"), error.userMessage)
        }
        XCTAssertThrowsError(try ExplanationOutputs(parsing: ""))
    }
}
