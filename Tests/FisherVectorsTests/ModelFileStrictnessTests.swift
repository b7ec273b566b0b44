import Foundation
import XCTest
import LRPCore
@testable import FisherVectors

/// Hostile model files are errors naming the field, never traps (regressions from fuzzing and
/// review, Fuzz/ and Scripts/fuzz.sh); the metadata is as strict as ModelFile.md documents.
extension ModelFileTests {
    func encodedModel() throws -> SafeTensors { try ModelFile.encode(try smallModel()) }

    func assertDecodeError(_ file: SafeTensors, _ expected: String, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile.decode(file), line: line) { e in
            XCTAssertTrue(e.userMessage.contains(expected), "'\(e.userMessage)' lacks '\(expected)'", line: line)
        }
    }

    /// A raw safetensors file with one header entry and `dataBytes` bytes of data.
    static func raw(entry: String, dataBytes: Int) -> Data {
        var json = Data("{\"x\":\(entry)}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(Data(count: dataBytes))
        return out
    }

    /// Element count × dtype size wrapped around Int and matched the 4-byte range: the tensor was
    /// accepted with 2^62 + 1 elements over 4 bytes, and reading its values went out of bounds.
    func testByteSizeOverflowIsAnError() {
        let data = Self.raw(entry: "{\"dtype\":\"F32\",\"shape\":[4611686018427387905],\"data_offsets\":[0,4]}", dataBytes: 4)
        XCTAssertThrowsError(try SafeTensors.decode(data)) { e in
            XCTAssertTrue(e.userMessage.contains("tensor x: 4 bytes do not hold"), e.userMessage)
        }
        let product = Self.raw(entry: "{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}", dataBytes: 0)
        XCTAssertThrowsError(try SafeTensors.decode(product)) { e in
            XCTAssertTrue(e.userMessage.contains("tensor x: shape too large"), e.userMessage)
        }
    }

    /// rows × columns of a hostile pyramid level overflowed in FeatureOptions.validate.
    func testHugePyramidLevelIsAnError() throws {
        var file = try encodedModel()
        file.metadata["pyramid"] = "4294967296x4294967296"
        assertDecodeError(file, "at most 1024 cells")
        file.metadata["pyramid"] = "1x2000"
        assertDecodeError(file, "at most 1024 cells")
    }

    func testFastFlagIsTrueOrFalse() throws {
        var file = try encodedModel()
        for bad in ["yes", "True", "1", ""] {
            file.metadata["fast"] = bad
            assertDecodeError(file, "metadata fast is '\(bad)', expected 'true' or 'false'")
        }
        file.metadata["fast"] = "false"
        XCTAssertFalse(try ModelFile.decode(file).features.fast)
    }

    func testDtypesAreThoseOfModelFileMd() throws {
        let good = try encodedModel()
        var f16 = good
        f16.tensors["pca.mean"] = .init(shape: [128], halfFrom: [Float](repeating: 0, count: 128))
        assertDecodeError(f16, "tensor pca.mean has dtype F16, expected F32")
        var i32 = good
        let w = good.tensors["svm.weights"]!
        i32.tensors["svm.weights"] = .init(dtype: .i32, shape: w.shape, bytes: w.bytes)
        assertDecodeError(i32, "tensor svm.weights has dtype I32, expected F32 or F16")
        var biases = good
        biases.tensors["svm.biases"] = .init(dtype: .i32, shape: [3], bytes: Data(count: 12))
        assertDecodeError(biases, "tensor svm.biases has dtype I32, expected F32")
        // F16 weights stay valid (ModelFile.md).
        var half = good
        half.tensors["svm.weights"] = .init(shape: w.shape, halfFrom: w.floats())
        XCTAssertNoThrow(try ModelFile.decode(half))
    }

    func testNonIntegerSizesAreErrors() throws {
        var file = try encodedModel()
        file.metadata["gmm_k"] = "9223372036854775808"
        assertDecodeError(file, "metadata gmm_k is not an integer")
        file.metadata["gmm_k"] = "9223372036854775807"
        assertDecodeError(file, "gmm.means")
    }

    /// Every tensor is checked finite at load; the error names the tensor (NaN in the SVM or PCA
    /// gave exit-0 NaN maps before). F16 weights are checked after conversion (65504 < ∞ = 0x7C00).
    func testNonFiniteTensorsAreErrorsNamingTheTensor() throws {
        let good = try encodedModel()
        for name in ["pca.mean", "pca.projection", "pca.variances", "gmm.means", "gmm.variances", "gmm.priors",
                     "svm.weights", "svm.biases"] {
            for bad: Float in [.nan, .infinity, -.infinity] {
                var file = good
                let t = good.tensors[name]!
                var v = t.floats()
                v[v.count - 1] = bad
                file.tensors[name] = .init(shape: t.shape, floats: v)
                assertDecodeError(file, "tensor \(name): element \(v.count - 1) is \(bad), not a finite number")
            }
        }
        var half = good
        let w = good.tensors["svm.weights"]!
        var hv = w.floats()
        hv[1] = .infinity
        half.tensors["svm.weights"] = .init(shape: w.shape, halfFrom: hv)
        assertDecodeError(half, "tensor svm.weights: element 1 is inf")
        file(good, metadata: "magnif", "nan", "metadata magnif is not a finite number")
        file(good, metadata: "contrast_threshold", "inf", "metadata contrast_threshold is not a finite number")
    }

    private func file(_ good: SafeTensors, metadata key: String, _ value: String, _ expected: String, line: UInt = #line) {
        var f = good
        f.metadata[key] = value
        assertDecodeError(f, expected, line: line)
    }

    /// GMM priors positive and summing to 1 within `ModelFile.priorSumTolerance`, variances
    /// positive (all-zero priors gave all-zero maps and exit 0).
    func testGMMPriorsAndVariances() throws {
        let good = try encodedModel() // priors [0.25, 0.75]
        func with(_ name: String, _ values: [Float]) -> SafeTensors {
            var f = good
            f.tensors[name] = .init(shape: good.tensors[name]!.shape, floats: values)
            return f
        }
        assertDecodeError(with("gmm.priors", [0, 0]), "tensor gmm.priors: element 0 is 0.0; priors must be positive")
        assertDecodeError(with("gmm.priors", [0.5, -0.5]), "tensor gmm.priors: element 1 is -0.5")
        assertDecodeError(with("gmm.priors", [0.25, 0.5]), "tensor gmm.priors: sums to 0.75, expected 1")
        assertDecodeError(with("gmm.priors", [0.25, 0.7502]), "sums to")
        XCTAssertNoThrow(try ModelFile.decode(with("gmm.priors", [0.25, 0.75005])), "within the tolerance")
        var v = good.tensors["gmm.variances"]!.floats()
        v[4] = 0
        assertDecodeError(with("gmm.variances", v), "tensor gmm.variances: element 4 is 0.0; variances must be positive")
        v[4] = -1
        assertDecodeError(with("gmm.variances", v), "element 4 is -1.0")
    }
}
