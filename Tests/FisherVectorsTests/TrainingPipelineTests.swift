import Evaluation
import XCTest
import LRPCore
@testable import FisherVectors

final class TrainingPipelineTests: XCTestCase {
    /// A corrupt image and an empty class folder are reported and skipped with a count; the
    /// rest trains, and the model tells the two stripe directions apart.
    func testBadInputIsSkippedAndCounted() throws {
        let root = try FVPipelineTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try FVPipelineTestSupport.makeDataset(root: root, perClass: 5, corrupt: true, emptyClass: true)
        let dataset = try Dataset.load(root: root, layout: .imagenet, split: "train")
        XCTAssertEqual(dataset.classes, ["horiz", "vert"])
        XCTAssertEqual(dataset.warnings.count, 1)
        let (model, summary) = try FisherVectorTrainer.train(dataset: dataset, options: FVPipelineTestSupport.tinyOptions())
        XCTAssertEqual(summary.skippedImages.count, 1)
        XCTAssertTrue(summary.skippedImages[0].contains("broken.jpg"))
        XCTAssertEqual(summary.imagesUsed, 10)
        XCTAssertEqual(summary.datasetWarnings.count, 1)
        XCTAssertEqual(model.classes, ["horiz", "vert"])

        // Held-out images of both kinds are classified by stripe direction.
        try FVPipelineTestSupport.makeDataset(root: root, perClass: 3, corrupt: true, split: "val")
        let val = try Dataset.load(root: root, layout: .imagenet, split: "val")
        let result = try FisherVectorEvaluator.evaluate(model: model, dataset: val)
        XCTAssertEqual(result.skippedImages.count, 1)
        XCTAssertEqual(result.report.imageCount, 6)
        XCTAssertEqual(result.report.top1, 1, accuracy: 1e-9)
    }

    func testPyramidCellsByCentre() {
        let levels = [PyramidLevel(rows: 1, columns: 1), PyramidLevel(rows: 2, columns: 2), PyramidLevel(rows: 3, columns: 1)]
        // (x, y) in a 100×90 image.
        let frames: [Float] = [10, 10, 4, 0, 60, 10, 4, 0, 10, 50, 4, 0, 99, 89, 4, 0, 50, 45, 4, 0]
        let cells = SpatialPyramid.cells(frames: frames, count: 5, width: 100, height: 90, levels: levels)
        XCTAssertEqual(cells.numCells, 8)
        XCTAssertEqual(cells.indices, [0, 1, 5, 0, 2, 5, 0, 3, 6, 0, 4, 7, 0, 4, 6])
    }

    /// The up-front descriptor count equals what PHOW produces, and an image that would give
    /// too many descriptors is refused before any work.
    func testDescriptorCountAndSizeLimit() throws {
        var features = FeatureOptions()
        for (w, h) in [(48, 48), (64, 57), (224, 224), (40, 31), (20, 20)] {
            let image = FVPipelineTestSupport.stripes(width: w, height: h, vertical: w % 2 == 0, seed: UInt64(w))
            let sift = try ImageEncoder.descriptors(of: image, features: features)
            XCTAssertEqual(ImageEncoder.descriptorCount(width: w, height: h, features: features), sift.count, "\(w)×\(h)")
        }
        features.step = 1
        let huge = Image(width: 800, height: 800, channels: 1, pixels: [Float](repeating: 0, count: 640_000))
        XCTAssertThrowsError(try ImageEncoder.descriptors(of: huge, features: features)) {
            XCTAssertTrue(($0 as? LRPError)?.message.contains("resize") ?? false)
        }
    }

    func testOptionParsing() throws {
        XCTAssertEqual(try FeatureOptions.parsePyramid("1x1, 2x2,3X1").map(\.description), ["1x1", "2x2", "3x1"])
        XCTAssertEqual(try FeatureOptions.parseSizes("4,6, 8"), [4, 6, 8])
        XCTAssertThrowsError(try FeatureOptions.parsePyramid("1x"))
        XCTAssertThrowsError(try FeatureOptions.parseSizes("4,,8"))
    }
}
