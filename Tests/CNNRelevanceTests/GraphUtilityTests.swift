import CNNRelevance
import LRPCore
import XCTest

/// Output restriction (`--classes`), receptive fields and the layer table.
final class GraphUtilityTests: XCTestCase {
    var rng = ImportRandom(5)

    /// conv 3x3 p1 → relu → conv 3x3 s2 → maxpool 2 s2 → flatten → linear(… → 6).
    func smallClassifier() throws -> (Graph, [Float], [Float]) {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 9, 9])
        b.floats("w1", [3, 2, 3, 3], rng.floats(54))
        b.floats("w2", [4, 3, 3, 3], rng.floats(108))
        let fw = rng.floats(6 * 16), fb = rng.floats(6)
        b.floats("fw", [6, 16], fw); b.floats("fb", [6], fb)
        let c1 = b.node("Conv", ["input", "w1"], attributes: [Attr.ints("pads", [1, 1, 1, 1])])
        let r = b.node("Relu", [c1])
        let c2 = b.node("Conv", [r, "w2"], attributes: [Attr.ints("strides", [2, 2])])
        let p = b.node("MaxPool", [c2], attributes: [Attr.ints("kernel_shape", [2, 2]), Attr.ints("strides", [2, 2])])
        let f = b.node("Flatten", [p])
        b.node("Gemm", [f, "fw", "fb"], output: "output", attributes: [Attr.int("transB", 1)])
        return (try b.load(), fw, fb)
    }

    func testRestrictingOutputsSlicesTheLastLinearLayer() throws {
        let (g, fw, fb) = try smallClassifier()
        let r = try g.restrictingOutputs(to: [4, 1])
        guard case .linear(let l) = r.nodes.last!.op else { return XCTFail() }
        XCTAssertEqual(l.outFeatures, 2)
        XCTAssertEqual(l.weight, Array(fw[64..<80]) + Array(fw[16..<32]))
        XCTAssertEqual(l.bias!, [fb[4], fb[1]])
        XCTAssertEqual(r.valueShapes[r.output.index], [2])
        XCTAssertEqual(r.outputClasses, [4, 1])
        // Restricting again keeps the original indices.
        XCTAssertEqual(try r.restrictingOutputs(to: [1]).outputClasses, [1])
        // The same logits as the full model, picked.
        let x = rng.floats(2 * 81)
        let full = ReferenceForward.run(g, sample: x), part = ReferenceForward.run(r, sample: x)
        XCTAssertEqual(part, [full[4], full[1]])
    }

    func testRestrictingOutputsRejectsBadLists() throws {
        let (g, _, _) = try smallClassifier()
        assertLRPError(["class index 6 out of range", "6 outputs"]) { _ = try g.restrictingOutputs(to: [0, 6]) }
        assertLRPError(["twice"]) { _ = try g.restrictingOutputs(to: [2, 2]) }
        assertLRPError(["at least one"]) { _ = try g.restrictingOutputs(to: []) }
        assertLRPError(["out of range"]) { _ = try g.restrictingOutputs(to: [-1]) }
    }

    /// SqueezeNet-style head: 1x1 conv to the classes, ReLU, global pooling, flatten.
    func testRestrictingThroughChannelwiseLayers() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 3, 4, 4])
        let w = rng.floats(5 * 3), bias = rng.floats(5)
        b.floats("w", [5, 3, 1, 1], w); b.floats("b", [5], bias)
        let c = b.node("Conv", ["input", "w", "b"])
        let r = b.node("Relu", [c])
        let p = b.node("GlobalAveragePool", [r])
        b.node("Flatten", [p], output: "output")
        let g = try b.load().restrictingOutputs(to: [3, 0])
        guard case .conv(let cv) = g.nodes[0].op else { return XCTFail() }
        XCTAssertEqual(cv.outChannels, 2)
        XCTAssertEqual(cv.weight, Array(w[9..<12]) + Array(w[0..<3]))
        XCTAssertEqual(g.valueShapes.map { $0.first! }, [3, 2, 2, 2, 2])
        XCTAssertEqual(g.valueShapes[g.output.index], [2])
    }

    func testRestrictingFailsWhenOutputsMixChannels() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 4, 1, 1])
        b.floats("w", [4, 3], rng.floats(12))
        let f = b.node("Flatten", ["input"])
        let m1 = b.node("MatMul", [f, "w"])
        let m2 = b.node("MatMul", [f, "w"])
        b.node("Add", [m1, m2], output: "output", name: "sum")
        let g = try b.load()
        assertLRPError(["cannot restrict outputs", "sum"]) { _ = try g.restrictingOutputs(to: [0]) }
    }

    /// Hand-computed: conv3 p1 (RF 3, jump 1, centre 0), conv3 s2 p0 (RF 5, jump 2, centre 1),
    /// maxpool 2 s2 (RF 7, jump 4, centre 1 + 0.5·2 = 2), then global.
    func testReceptiveFields() throws {
        let (g, _, _) = try smallClassifier()
        let rows = g.layerTable()
        let rf = rows.map(\.receptiveField)
        XCTAssertEqual(Array(rf.map(\.sizeH).prefix(4)), [3, 3, 5, 7])
        XCTAssertEqual(rf[0].sizeH, 3); XCTAssertEqual(rf[0].jumpH, 1); XCTAssertEqual(rf[0].startH, 0)
        XCTAssertEqual(rf[2].sizeW, 5); XCTAssertEqual(rf[2].jumpW, 2); XCTAssertEqual(rf[2].startW, 1)
        XCTAssertEqual(rf[3].sizeH, 7); XCTAssertEqual(rf[3].jumpH, 4); XCTAssertEqual(rf[3].startH, 2)
        XCTAssertTrue(rf[4].isGlobal); XCTAssertTrue(rf[5].isGlobal)
        XCTAssertEqual(rf[5].sizeH, 9)
        XCTAssertEqual(rows.map(\.mappingIndex), [1, nil, 2, nil, nil, 3])
        XCTAssertEqual(g.mappingLayerCount, 3)
        XCTAssertEqual(rows.map(\.outputShape), [[3, 9, 9], [3, 9, 9], [4, 4, 4], [4, 2, 2], [16], [6]])
    }

    /// A residual sum of a 3x3 path and a 1x1 path covers the larger field.
    func testReceptiveFieldOfASum() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 1, 8, 8])
        b.floats("a", [1, 1, 3, 3], rng.floats(9)); b.floats("b", [1, 1, 1, 1], [1])
        let x = b.node("Conv", ["input", "a"], attributes: [Attr.ints("pads", [1, 1, 1, 1])])
        let y = b.node("Conv", ["input", "b"])
        let s = b.node("Add", [x, y])
        let p = b.node("GlobalAveragePool", [s])
        b.node("Flatten", [p], output: "output")
        let rf = try b.load().receptiveFields()
        let sum = rf[3]
        XCTAssertEqual(sum.sizeH, 3); XCTAssertEqual(sum.startH, 0); XCTAssertFalse(sum.isGlobal)
    }
}
