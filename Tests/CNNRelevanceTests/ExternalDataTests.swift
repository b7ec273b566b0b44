import CNNRelevance
import Foundation
import LRPCore
import ONNXProto
import XCTest

/// ONNX tensors stored as external data are read only from inside the model's folder.
final class ExternalDataTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-external-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("model"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    let weights: [Float] = (0..<18).map { Float($0) * 0.125 - 1 }

    /// conv (weights stored at `location`) → global pool → flatten, written to model/m.onnx.
    func writeModel(location: String) throws -> URL {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 4, 4])
        var w = Onnx_TensorProto()
        w.name = "w"; w.dims = [1, 2, 3, 3]; w.dataType = 1
        w.dataLocation = .external
        var entry = Onnx_StringStringEntryProto()
        entry.key = "location"; entry.value = location
        w.externalData = [entry]
        b.initializers.append(w)
        let c = b.node("Conv", ["input", "w"])
        let p = b.node("GlobalAveragePool", [c])
        b.node("Flatten", [p], output: "output")
        let url = folder.appendingPathComponent("model/m.onnx")
        try b.data().write(to: url)
        return url
    }

    func bytes() -> Data { Data(weights.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }) }

    func testWeightsNextToTheModelAreRead() throws {
        try bytes().write(to: folder.appendingPathComponent("model/w.bin"))
        let g = try ONNXImporter.load(url: try writeModel(location: "w.bin"))
        guard case .conv(let c) = g.nodes[0].op else { return XCTFail("not a conv") }
        XCTAssertEqual(c.weight, weights)
    }

    func testLocationsOutsideTheFolderAreRefused() throws {
        try bytes().write(to: folder.appendingPathComponent("outside.bin"))
        for location in ["../outside.bin", folder.appendingPathComponent("outside.bin").path, "sub/../../outside.bin"] {
            let url = try writeModel(location: location)
            assertLRPError(["initializer 'w'", "outside the model's folder"]) { _ = try ONNXImporter.load(url: url) }
        }
    }

    func testSymbolicLinkLeadingOutIsRefused() throws {
        try bytes().write(to: folder.appendingPathComponent("outside.bin"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("model/link.bin"),
                                                   withDestinationURL: folder.appendingPathComponent("outside.bin"))
        let url = try writeModel(location: "link.bin")
        assertLRPError(["initializer 'w'", "leads outside the model's folder"]) { _ = try ONNXImporter.load(url: url) }
    }
}
