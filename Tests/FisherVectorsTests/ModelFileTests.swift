import XCTest
import LRPCore
@testable import FisherVectors

final class ModelFileTests: XCTestCase {
    func smallModel() throws -> FisherVectorModel {
        var features = FeatureOptions()
        features.binSizes = [4, 8]
        features.pyramid = [PyramidLevel(rows: 1, columns: 1), PyramidLevel(rows: 3, columns: 1)]
        let d = 3, k = 2
        var rng = SplitMix64(seed: 4)
        func r() -> Float { Float(Double(rng.next() % 1000) / 500 - 1) }
        let pca = PCA(inputDimension: 128, outputDimension: d, mean: (0..<128).map { _ in r() },
                      components: (0..<(d * 128)).map { _ in r() }, variances: [3, 2, 1])
        let gmm = GMMParameters(dimension: d, clusters: k, means: (0..<(k * d)).map { _ in r() },
                                covariances: (0..<(k * d)).map { _ in abs(r()) + 0.5 }, priors: [0.25, 0.75])
        let length = features.cellCount * 2 * k * d
        let svms = LinearSVMs(classCount: 3, dimension: length, weights: (0..<(3 * length)).map { _ in r() }, biases: [0.5, -1, 2])
        return try FisherVectorModel(classes: ["n01", "n02", "n03"], classNames: ["tench", "dog \"quoted\"", "church"],
                                     features: features, pca: pca, gmm: gmm, svms: svms, trainingCommand: "lrp-fv train --x")
    }

    func testRoundTripFloat32AndFloat16() throws {
        let dir = try FVPipelineTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try smallModel()
        let url = dir.appendingPathComponent("m.safetensors")
        try ModelFile.write(model, to: url)
        XCTAssertEqual(try ModelFile.read(url), model)

        try ModelFile.write(model, to: url, weightPrecision: .float16)
        let half = try ModelFile.read(url)
        XCTAssertEqual(half.pca, model.pca)
        XCTAssertEqual(half.gmm, model.gmm)
        XCTAssertEqual(half.svms.weights, model.svms.weights.map { Float(Float16($0)) })
        XCTAssertEqual(half.classNames, model.classNames)
    }

    /// The bytes follow the safetensors layout: u64 header length, JSON header with dtype,
    /// shape and data_offsets, then the raw little-endian data.
    func testLayoutIsSafetensors() throws {
        let model = try smallModel()
        let data = try ModelFile.encode(model).encoded()
        let n = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data[8..<(8 + n)]) as? [String: Any])
        let entry = try XCTUnwrap(header["gmm.priors"] as? [String: Any])
        XCTAssertEqual(entry["dtype"] as? String, "F32")
        XCTAssertEqual(entry["shape"] as? [Int], [2])
        let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
        let start = 8 + n + offsets[0]
        let priors = data[start..<(start + 8)].withUnsafeBytes { [ $0.loadUnaligned(as: Float.self), $0.loadUnaligned(fromByteOffset: 4, as: Float.self)] }
        XCTAssertEqual(priors, [0.25, 0.75])
        let meta = try XCTUnwrap(header["__metadata__"] as? [String: String])
        XCTAssertEqual(meta["format"], "lrp-fv-model")
        XCTAssertEqual(meta["pyramid"], "1x1,3x1")
        XCTAssertEqual(meta["gmm_k"], "2")
    }

    func testTruncatedFileIsAnError() throws {
        let dir = try FVPipelineTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try ModelFile.encode(try smallModel()).encoded()
        for cut in [0, 5, 8, 40, data.count / 2, data.count - 1] {
            let url = dir.appendingPathComponent("cut\(cut).safetensors")
            try data.prefix(cut).write(to: url)
            XCTAssertThrowsError(try ModelFile.read(url), "cut at \(cut)") { error in
                XCTAssertTrue(error is LRPError)
                XCTAssertTrue((error as? LRPError)?.message.contains(url.path) ?? false)
            }
        }
        XCTAssertThrowsError(try ModelFile.read(dir.appendingPathComponent("missing.safetensors")))
    }

    func testMismatchedOrWrongVersionFileIsAnError() throws {
        var file = try ModelFile.encode(try smallModel())
        // Wrong version.
        var v = file
        v.metadata["format_version"] = "99"
        XCTAssertThrowsError(try ModelFile.decode(v)) { XCTAssertTrue(($0 as? LRPError)?.message.contains("version 99") ?? false) }
        // Not our format.
        var f = file
        f.metadata["format"] = "something-else"
        XCTAssertThrowsError(try ModelFile.decode(f))
        // GMM size disagreeing with gmm_k.
        var k = file
        k.metadata["gmm_k"] = "3"
        XCTAssertThrowsError(try ModelFile.decode(k)) { XCTAssertTrue(($0 as? LRPError)?.message.contains("gmm.means") ?? false) }
        // SVM weights of the wrong length.
        file.tensors["svm.weights"] = .init(shape: [3, 10], floats: [Float](repeating: 0, count: 30))
        XCTAssertThrowsError(try ModelFile.decode(file)) { XCTAssertTrue(($0 as? LRPError)?.message.contains("svm.weights") ?? false) }
        // Header offsets pointing past the data.
        var bytes = try ModelFile.encode(try smallModel()).encoded()
        bytes.removeLast(4)
        XCTAssertThrowsError(try SafeTensors.decode(bytes)) { XCTAssertTrue(($0 as? LRPError)?.message.contains("truncated") ?? false) }
        // A tensor whose byte count does not fit its shape.
        var bad = SafeTensors()
        bad.tensors["x"] = .init(dtype: .f32, shape: [3], bytes: Data(count: 8))
        XCTAssertThrowsError(try SafeTensors.decode(try bad.encoded()))
    }
}
