import CNNRelevance
import Foundation
import LRPCore
import ONNXProto
import XCTest

/// Hostile ONNX files found by fuzzing (Fuzz/, Scripts/fuzz.sh): errors, not traps or gigabytes.
extension ImportErrorTests {
    /// Fuzzing slow unit: Concat of constant-folded parts, each within the folding limit (2^26
    /// elements), built a result of several times that limit (18 s, 1.4 GB under ASan).
    func testConcatOfLargeFoldedConstantsIsBounded() {
        var b = validModel()
        let shape = b.ints("big_shape", [1 << 25])
        let big = b.node("ConstantOfShape", [shape])
        b.node("Concat", [big, big, big], name: "huge_concat", attributes: [Attr.int("axis", 0)])
        assertLRPError(["huge_concat", "too large"]) { _ = try b.load() }
    }
}
