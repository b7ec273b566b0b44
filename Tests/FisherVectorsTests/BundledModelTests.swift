import XCTest
import LRPCore
@testable import FisherVectors

/// Checks on the bundled model with a real photograph. The model ships with the repository, so a
/// missing model is a failure; the Imagenette photographs do not: they are read from
/// `$LRP_IMAGENETTE`, else from `shared/data/imagenette` next to the repository
/// (`<repo>/../shared/data/imagenette`), and the test is skipped when neither exists.
final class BundledModelTests: XCTestCase {
    func testExplainRealPhotographConserves() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let modelURL = repo.appendingPathComponent("Models/fisher_imagenette.safetensors")
        guard FileManager.default.fileExists(atPath: modelURL.path) else {
            return XCTFail("the bundled model \(modelURL.path) is part of the repository but missing")
        }
        let data = ProcessInfo.processInfo.environment["LRP_IMAGENETTE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? repo.deletingLastPathComponent().appendingPathComponent("shared/data/imagenette").path
        let folder = URL(fileURLWithPath: data).appendingPathComponent("val/n03028079")
        guard let name = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted().first else {
            throw XCTSkip("Imagenette photographs not found at \(folder.path) (set LRP_IMAGENETTE to the dataset root)")
        }
        let model = try ModelFile.read(modelURL)
        XCTAssertEqual(model.classes.count, 10)
        let image = try Image.load(folder.appendingPathComponent(name))
        let e = try FisherExplainer.explain(model: model, image: image, target: nil, resolutions: [.bin, .descriptor])
        let r = e.relevance
        XCTAssertEqual(r.fisherTotal, Double(r.score - r.bias), accuracy: 1e-3 * max(1, abs(r.fisherTotal)))
        let bin = try XCTUnwrap(e.maps[.bin]), desc = try XCTUnwrap(e.maps[.descriptor])
        XCTAssertEqual(bin.shape, [image.height, image.width])
        XCTAssertEqual(FisherExplanation.sum(desc), r.descriptorTotal, accuracy: 1e-4 * max(1, abs(r.descriptorTotal)))
        XCTAssertEqual(FisherExplanation.sum(bin), try XCTUnwrap(r.siftTotal), accuracy: 1e-4 * max(1, abs(r.descriptorTotal)))
    }
}
