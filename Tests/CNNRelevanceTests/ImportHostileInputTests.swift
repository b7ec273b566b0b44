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

    /// CI fuzzing (out of memory at 3 GB): folding steps that are each within the per-tensor
    /// limit add up; the import's folding budget (512 MiB) stops the chain at the node that
    /// passes it, before that node allocates.
    func testChainOfFoldedConstantsStopsAtTheBudget() {
        var b = validModel()
        let big = b.node("ConstantOfShape", [b.ints("big_shape", [1 << 24])], name: "big")  // 128 MiB claimed
        let twice = b.node("Concat", [big, big], name: "twice", attributes: [Attr.int("axis", 0)])  // 512 MiB more
        b.node("Concat", [twice, big], name: "thrice", attributes: [Attr.int("axis", 0)])
        assertLRPError(["twice", "512 MiB"]) { _ = try b.load() }
    }

    /// A scalar Add after a Reshape to [2^29, 1, 1] broadcast the scalar to 2^29 scales and
    /// shifts at import: 6 GB and 50 s for a file of a few hundred bytes.
    func testPerChannelConstantOverHugeChannelCountIsRefused() {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 1 << 10, 1 << 10, 1 << 9])
        let r = b.node("Reshape", ["input", b.ints("shape", [1, -1, 1, 1])])
        b.node("Add", [r, b.floats("c", [1], [2])], output: "output", name: "wide_add")
        assertLRPError(["wide_add", "536870912 channels"]) { _ = try b.load() }
    }

    /// Gather with repeated indices multiplies its data; the result is bounded before the
    /// index list is reserved (it was reserved unbounded: 2^28 indices, 2 GB).
    func testGatherWithRepeatedIndicesIsBounded() {
        var b = validModel()
        let data = b.node("ConstantOfShape", [b.ints("data_shape", [4, 1 << 22])], name: "data")
        let indices = b.ints("indices", [Int64](repeating: 0, count: 64))
        b.node("Gather", [data, indices], name: "repeat", attributes: [Attr.int("axis", 0)])
        assertLRPError(["repeat", "too large"]) { _ = try b.load() }
    }
}

extension ImportErrorTests {
    /// Fuzzing crash: a folded Slice with steps = Int64.max (or Int64.min) overflowed computing
    /// the sliced length (arithmetic-overflow trap). A step longer than the axis picks one element.
    func testSliceWithHugeStepsFolds() throws {
        for step in [Int64.max, Int64.min, 9, -9] {
            var b = ONNXModelBuilder(opset: 13, inputShape: [1, 3, 8, 8])
            let data = b.ints("data", [10, 20, 30, 40])
            let starts = b.ints("starts", [step > 0 ? 1 : -1]), ends = b.ints("ends", [step > 0 ? 4 : -5])
            let axes = b.ints("axes", [0]), steps = b.ints("steps", [step])
            let sliced = b.node("Slice", [data, starts, ends, axes, steps], name: "slice")
            // The folded slice is a reshape target: [20] or [40] elements must be one value.
            let r = b.node("Reshape", ["input", b.ints("shape", [1, -1])])
            b.node("Mul", [r, b.node("Cast", [sliced], attributes: [Attr.int("to", 1)])], output: "output")
            _ = try? b.load()  // must not trap; what the graph means is not the point here
        }
    }
}
