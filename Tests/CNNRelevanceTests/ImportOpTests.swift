import CNNRelevance
import Foundation
import LRPCore
import ONNXProto
import XCTest

/// Individual ONNX ops, on models built in the test: parameters and shapes of the imported layers.
final class ImportOpTests: XCTestCase {
    var rng = ImportRandom(42)

    func conv(_ g: Graph, _ i: Int = 0) -> Conv2D? {
        if case .conv(let c) = g.nodes[i].op { return c }
        XCTFail("layer \(i) is \(g.nodes[i].op.shortDescription), not a conv"); return nil
    }

    func linear(_ g: Graph, _ i: Int) -> Linear? {
        if case .linear(let l) = g.nodes[i].op { return l }
        XCTFail("layer \(i) is \(g.nodes[i].op.shortDescription), not linear"); return nil
    }

    /// conv → global pool → flatten, with the weight tensor stored as given.
    func convModel(weight: Onnx_TensorProto) -> ONNXModelBuilder {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 5, 5])
        b.initializers.append(weight)
        let c = b.node("Conv", ["input", weight.name])
        let p = b.node("GlobalAveragePool", [c])
        b.node("Flatten", [p], output: "output")
        return b
    }

    func testInitializerEncodingsAgree() throws {
        let values: [Float] = (0..<54).map { Float($0 % 7) * 0.25 - 0.5 }   // exact in half precision too
        var variants: [Onnx_TensorProto] = [
            ONNXModelBuilder.floatTensor("w", [3, 2, 3, 3], values),
            ONNXModelBuilder.floatTensor("w", [3, 2, 3, 3], values, typed: true),
        ]
        var dbl = Onnx_TensorProto(); dbl.name = "w"; dbl.dims = [3, 2, 3, 3]; dbl.dataType = 11
        dbl.doubleData = values.map(Double.init)
        variants.append(dbl)
        var dblRaw = dbl; dblRaw.doubleData = []
        dblRaw.rawData = Data(values.flatMap { v -> [UInt8] in withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { Array($0) } })
        variants.append(dblRaw)
        var half = Onnx_TensorProto(); half.name = "w"; half.dims = [3, 2, 3, 3]; half.dataType = 10
        half.int32Data = values.map { Int32(Float16($0).bitPattern) }
        variants.append(half)
        var halfRaw = half; halfRaw.int32Data = []
        halfRaw.rawData = Data(values.flatMap { v -> [UInt8] in withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { Array($0) } })
        variants.append(halfRaw)
        for (k, t) in variants.enumerated() {
            let g = try convModel(weight: t).load()
            XCTAssertEqual(conv(g)?.weight, values, "encoding \(k)")
        }
    }

    func testHalfPrecisionSpecialValues() throws {
        // 1, -2, smallest subnormal, 65504 (max), 0.333 (rounded), -0
        let bits: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7BFF, 0x3555, 0x8000]
        var t = Onnx_TensorProto(); t.name = "w"; t.dims = [6, 1, 1, 1]; t.dataType = 10
        t.int32Data = bits.map { Int32($0) }
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 1, 2, 2])
        b.initializers.append(t)
        let c = b.node("Conv", ["input", "w"])
        let p = b.node("GlobalAveragePool", [c])
        b.node("Flatten", [p], output: "output")
        let w = try XCTUnwrap(conv(b.load())?.weight)
        XCTAssertEqual(w, bits.map { Float(Float16(bitPattern: $0)) })
        XCTAssertEqual(w[2], Float(pow(2.0, -24.0)))
        XCTAssertEqual(w[3], 65504)
    }

    /// `x.view(x.size(0), -1)` as exported: Shape → Gather(0) → Unsqueeze → Concat([N, -1]) → Reshape.
    func testReshapeTargetFoldedFromShapeSubgraph() throws {
        for opset: Int64 in [11, 13, 17] {
            var b = ONNXModelBuilder(opset: opset, inputShape: [nil, 2, 6, 6])
            b.floats("w", [4, 2, 3, 3], rng.floats(72))
            b.floats("fw", [3, 36], rng.floats(108))
            b.ints("zero", [0], dims: [])
            b.ints("minus1", [-1])
            let c = b.node("Conv", ["input", "w"], attributes: [Attr.ints("strides", [2, 2]), Attr.ints("pads", [1, 1, 1, 1])])
            let s = b.node("Shape", [c])
            let n = b.node("Gather", [s, "zero"], attributes: [Attr.int("axis", 0)])
            let u: String
            if opset >= 13 {
                b.ints("axes0", [0])
                u = b.node("Unsqueeze", [n, "axes0"])
            } else {
                u = b.node("Unsqueeze", [n], attributes: [Attr.ints("axes", [0])])
            }
            let target = b.node("Concat", [u, "minus1"], attributes: [Attr.int("axis", 0)])
            let r = b.node("Reshape", [c, target])
            b.node("Gemm", [r, "fw"], output: "output", attributes: [Attr.int("transB", 1)])
            let g = try b.load()
            XCTAssertEqual(g.opSummary, ["conv 3x3 s2 2->4", "reshape [36]", "linear 36->3"], "opset \(opset)")
        }
    }

    func testReshapeTargetForms() throws {
        func model(_ target: [Int64], batch: Int?) -> ONNXModelBuilder {
            var b = ONNXModelBuilder(opset: 13, inputShape: [batch, 4, 2, 3])
            b.ints("t", target)
            b.node("Reshape", ["input", "t"], output: "output")
            return b
        }
        XCTAssertEqual(try model([1, -1], batch: 1).load().valueShapes.last, [24])     // static batch 1
        XCTAssertEqual(try model([0, -1], batch: nil).load().valueShapes.last, [24])   // 0 copies the batch
        XCTAssertEqual(try model([-1, 24], batch: nil).load().valueShapes.last, [24])  // batch inferred
        XCTAssertEqual(try model([0, 24, 1, 1], batch: nil).load().opSummary, ["reshape [24, 1, 1]", "reshape [24]"])
        assertLRPError(["does not keep the batch axis first"]) { _ = try model([2, -1], batch: nil).load() }
        assertLRPError(["more than the batch size"]) { _ = try model([-1, -1], batch: nil).load() }
        assertLRPError(["cannot reshape"]) { _ = try model([0, 25], batch: nil).load() }
    }

    func testBatchNormFoldedIntoConv() throws {
        let w = rng.floats(2 * 3 * 3 * 3), bias = rng.floats(2)
        let gamma: [Float] = [1.5, 0.5], beta: [Float] = [0.1, -0.2], mean: [Float] = [0.3, -0.4], variance: [Float] = [0.8, 2.0]
        let eps: Float = 1e-3
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 3, 6, 6])
        b.floats("w", [2, 3, 3, 3], w); b.floats("b", [2], bias)
        b.floats("g", [2], gamma); b.floats("be", [2], beta); b.floats("m", [2], mean); b.floats("v", [2], variance)
        let c = b.node("Conv", ["input", "w", "b"])
        let n = b.node("BatchNormalization", [c, "g", "be", "m", "v"], attributes: [Attr.float("epsilon", eps)])
        let p = b.node("GlobalAveragePool", [n])
        b.node("Flatten", [p], output: "output")
        let g = try b.load()
        XCTAssertEqual(g.opSummary, ["conv 3x3 3->2", "global avgpool", "reshape [2]"])
        let folded = try XCTUnwrap(conv(g))
        for o in 0..<2 {
            let k = Double(gamma[o]) / (Double(variance[o]) + Double(eps)).squareRoot()
            let expectW = w[o * 27..<(o + 1) * 27].map { Float(Double($0) * k) }
            assertAllClose(Array(folded.weight[o * 27..<(o + 1) * 27]), expectW, tol: 1e-6, "weight row \(o)")
            let expectB = Float((Double(bias[o]) - Double(mean[o])) * k + Double(beta[o]))
            XCTAssertEqual(folded.bias![o], expectB, accuracy: 1e-6)
        }
    }

    func testBatchNormNotFoldedWhenConvOutputIsShared() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 4, 4])
        b.floats("w", [2, 2, 1, 1], [1, 0, 0, 1])
        for n in ["g", "be", "m", "v"] { b.floats(n, [2], [1, 1]) }
        let c = b.node("Conv", ["input", "w"])
        let n = b.node("BatchNormalization", [c, "g", "be", "m", "v"])
        let a = b.node("Add", [c, n])
        let p = b.node("GlobalAveragePool", [a])
        b.node("Flatten", [p], output: "output")
        let g = try b.load()
        XCTAssertEqual(g.opSummary, ["conv 1x1 2->2", "channel affine", "add", "global avgpool", "reshape [2]"])
        guard case .channelAffine(let affine) = g.nodes[1].op else { return XCTFail() }
        // scale = 1/sqrt(1 + 1e-5), shift = 1 - 1 * scale
        XCTAssertEqual(affine.scale[0], Float(1 / (1 + 1e-5).squareRoot()), accuracy: 1e-7)
        XCTAssertEqual(affine.shift[1], 1 - affine.scale[1], accuracy: 1e-7)
    }

    func testGemmTransposesAlphaBeta() throws {
        let bMat = rng.floats(4 * 3), c = rng.floats(3)   // K = 4 inputs, O = 3 outputs
        for transB in [0, 1] {
            var b = ONNXModelBuilder(opset: 13, inputShape: [1, 4, 1, 1])
            // transB = 0: B is [K, O]; transB = 1: B is [O, K] (same matrix, stored transposed).
            let stored = transB == 1 ? (0..<3).flatMap { o in (0..<4).map { k in bMat[k * 3 + o] } } : bMat
            b.floats("B", transB == 1 ? [3, 4] : [4, 3], stored)
            b.floats("C", [1, 3], c)
            let f = b.node("Flatten", ["input"])
            b.node("Gemm", [f, "B", "C"], output: "output",
                   attributes: [Attr.int("transB", transB), Attr.float("alpha", 2), Attr.float("beta", 0.5)])
            let l = try XCTUnwrap(linear(b.load(), 1))
            XCTAssertEqual(l.inFeatures, 4); XCTAssertEqual(l.outFeatures, 3)
            for o in 0..<3 { for k in 0..<4 { XCTAssertEqual(l.weight[o * 4 + k], 2 * bMat[k * 3 + o], "transB \(transB)") } }
            XCTAssertEqual(l.bias!, c.map { 0.5 * $0 })
        }
    }

    func testMatMulPlusConstantBecomesLinearWithBias() throws {
        let w = rng.floats(4 * 2), bias: [Float] = [0.25, -1]
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 4, 1, 1])
        b.floats("W", [4, 2], w); b.floats("bias", [2], bias)
        let f = b.node("Flatten", ["input"])
        let m = b.node("MatMul", [f, "W"])
        b.node("Add", ["bias", m], output: "output")   // constant first, as some exporters write it
        let g = try b.load()
        XCTAssertEqual(g.opSummary, ["reshape [4]", "linear 4->2"])
        let l = try XCTUnwrap(linear(g, 1))
        XCTAssertEqual(l.weight, [w[0], w[2], w[4], w[6], w[1], w[3], w[5], w[7]])
        XCTAssertEqual(l.bias!, bias)
    }

    func testPoolShapesWithCeilModePadsAndDilation() throws {
        // Expected sizes from PyTorch: MaxPool2d(3, 2, ceil_mode=True) on 8x8 → 4x4 (floor: 3x3);
        // MaxPool2d(2, 2, padding=1, ceil_mode=True) on 7x7 → 4x4 (the last window would start in
        // the padding); AvgPool2d(3, 2, padding=1, ceil_mode=True) on 6x6 → 4x4.
        let cases: [(String, Int, [Onnx_AttributeProto], Int)] = [
            ("MaxPool", 8, [Attr.ints("kernel_shape", [3, 3]), Attr.ints("strides", [2, 2]), Attr.int("ceil_mode", 1)], 4),
            ("MaxPool", 8, [Attr.ints("kernel_shape", [3, 3]), Attr.ints("strides", [2, 2])], 3),
            ("MaxPool", 7, [Attr.ints("kernel_shape", [2, 2]), Attr.ints("strides", [2, 2]), Attr.ints("pads", [1, 1, 1, 1]), Attr.int("ceil_mode", 1)], 4),
            ("AveragePool", 6, [Attr.ints("kernel_shape", [3, 3]), Attr.ints("strides", [2, 2]), Attr.ints("pads", [1, 1, 1, 1]), Attr.int("ceil_mode", 1), Attr.int("count_include_pad", 1)], 4),
            ("MaxPool", 9, [Attr.ints("kernel_shape", [2, 2]), Attr.ints("dilations", [2, 2])], 7),
            ("MaxPool", 7, [Attr.ints("kernel_shape", [3, 3]), Attr.ints("strides", [2, 2]), Attr.string("auto_pad", "SAME_UPPER")], 4),
        ]
        for (op, size, attrs, expected) in cases {
            var b = ONNXModelBuilder(opset: 13, inputShape: [1, 1, size, size])
            let p = b.node(op, ["input"], attributes: attrs)
            let q = b.node("GlobalAveragePool", [p])
            b.node("Flatten", [q], output: "output")
            let g = try b.load()
            XCTAssertEqual(g.valueShapes[g.nodes[0].output.index], [1, expected, expected], "\(op) \(attrs.map(\.name))")
            if case .averagePool(let pool) = g.nodes[0].op {
                XCTAssertTrue(pool.ceilMode); XCTAssertTrue(pool.countIncludePad)
            }
        }
    }

    func testConvAutoPad() throws {
        for (mode, size, kernel, stride, expected): (String, Int, Int, Int, (Int, Int, Int)) in [
            ("SAME_UPPER", 7, 3, 2, (4, 1, 1)), ("SAME_UPPER", 8, 4, 1, (8, 1, 2)),
            ("SAME_LOWER", 8, 4, 1, (8, 2, 1)), ("VALID", 8, 3, 2, (3, 0, 0)),
        ] {
            var b = ONNXModelBuilder(opset: 13, inputShape: [1, 1, size, size])
            b.floats("w", [1, 1, kernel, kernel], [Float](repeating: 1, count: kernel * kernel))
            let c = b.node("Conv", ["input", "w"], attributes: [Attr.string("auto_pad", mode), Attr.ints("strides", [stride, stride]),
                                                               Attr.ints("pads", [5, 5, 5, 5])])
            let q = b.node("GlobalAveragePool", [c])
            b.node("Flatten", [q], output: "output")
            let g = try b.load()
            let cv = try XCTUnwrap(conv(g))
            XCTAssertEqual(g.valueShapes[g.nodes[0].output.index], [1, expected.0, expected.0], mode)
            XCTAssertEqual([cv.padTop, cv.padBottom, cv.padLeft, cv.padRight], [expected.1, expected.2, expected.1, expected.2], mode)
        }
    }

    func testClipBoundsFromAttributesAndInputs() throws {
        func clip(_ g: Graph) -> (Float, Float)? {
            if case .clip(let lo, let hi) = g.nodes[0].op { return (lo, hi) }
            return nil
        }
        var old = ONNXModelBuilder(opset: 9, inputShape: [1, 2, 2, 2])
        let c = old.node("Clip", ["input"], attributes: [Attr.float("min", 0), Attr.float("max", 6)])
        let p = old.node("GlobalAveragePool", [c]); old.node("Flatten", [p], output: "output")
        XCTAssertTrue(try clip(old.load())! == (0, 6))

        var new = ONNXModelBuilder(opset: 11, inputShape: [1, 2, 2, 2])
        new.floats("lo", [], [0]); new.floats("hi", [], [6])
        let c2 = new.node("Clip", ["input", "lo", "hi"])
        let p2 = new.node("GlobalAveragePool", [c2]); new.node("Flatten", [p2], output: "output")
        XCTAssertTrue(try clip(new.load())! == (0, 6))

        new.nodes[0].input = ["input", "", "hi"]   // min absent
        let (lo, hi) = try clip(new.load())!
        XCTAssertEqual(lo, -.infinity); XCTAssertEqual(hi, 6)
    }

    func testReduceMeanOverSpatialAxes() throws {
        for opset: Int64 in [13, 18] {
            for keep in [0, 1] {
                var b = ONNXModelBuilder(opset: opset, inputShape: [1, 3, 4, 5])
                var attrs = [Attr.int("keepdims", keep)]
                var inputs = ["input"]
                if opset >= 18 { b.ints("axes", [-1, -2]); inputs.append("axes") } else { attrs.append(Attr.ints("axes", [2, 3])) }
                let r = b.node("ReduceMean", inputs, attributes: attrs)
                if keep == 1 { b.node("Flatten", [r], output: "output") } else { b.node("Identity", [r], output: "output") }
                let g = try b.load()
                XCTAssertEqual(g.valueShapes[g.nodes[0].output.index], keep == 1 ? [3, 1, 1] : [3], "opset \(opset) keepdims \(keep)")
                guard case .globalAveragePool(let keepSpatial) = g.nodes[0].op else { return XCTFail() }
                XCTAssertEqual(keepSpatial, keep == 1)
            }
        }
        var bad = ONNXModelBuilder(opset: 13, inputShape: [1, 3, 4, 5])
        bad.node("ReduceMean", ["input"], name: "rm", attributes: [Attr.ints("axes", [1])])
        assertLRPError(["rm", "spatial axes"]) { _ = try bad.load() }
    }

    func testPadFromAttributeAndInput() throws {
        var old = ONNXModelBuilder(opset: 10, inputShape: [1, 1, 3, 3])
        let p = old.node("Pad", ["input"], attributes: [Attr.ints("pads", [0, 0, 1, 2, 0, 0, 3, 4]), Attr.float("value", 0.5)])
        let q = old.node("GlobalAveragePool", [p]); old.node("Flatten", [q], output: "output")
        var g = try old.load()
        XCTAssertEqual(g.valueShapes[g.nodes[0].output.index], [1, 7, 9])
        guard case .pad(let pad) = g.nodes[0].op else { return XCTFail() }
        XCTAssertEqual([pad.top, pad.left, pad.bottom, pad.right], [1, 2, 3, 4]); XCTAssertEqual(pad.value, 0.5)

        var new = ONNXModelBuilder(opset: 13, inputShape: [1, 1, 3, 3])
        new.ints("pads", [0, 0, 1, 2, 0, 0, 3, 4])
        let p2 = new.node("Pad", ["input", "pads"])
        let q2 = new.node("GlobalAveragePool", [p2]); new.node("Flatten", [q2], output: "output")
        g = try new.load()
        XCTAssertEqual(g.valueShapes[g.nodes[0].output.index], [1, 7, 9])
        new.nodes[0].attribute = [Attr.string("mode", "reflect")]
        assertLRPError(["constant padding"]) { _ = try new.load() }
    }

    func testIdentityAndDropoutAreRemoved() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 2, 2])
        let i = b.node("Identity", ["input"])
        let d = b.node("Dropout", [i], outputs: ["mask"])
        let r = b.node("Relu", [d])
        let p = b.node("GlobalAveragePool", [r])
        let f = b.node("Flatten", [p])
        b.node("Softmax", [f], output: "output", attributes: [Attr.int("axis", 1)])
        let g = try b.load()
        XCTAssertEqual(g.opSummary, ["relu", "global avgpool", "reshape [2]"])
        XCTAssertTrue(g.removedOutputSoftmax)
        XCTAssertEqual(g.nodes[0].inputs, [ValueID(0)])
        XCTAssertEqual(g.valueShapes.count, 4)   // values renumbered densely
    }

    func testLRNAndGlobalMaxPool() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 6, 5, 4])
        let l = b.node("LRN", ["input"], attributes: [Attr.int("size", 5), Attr.float("alpha", 2e-4), Attr.float("bias", 2)])
        let p = b.node("GlobalMaxPool", [l])
        b.node("Flatten", [p], output: "output")
        let g = try b.load()
        guard case .lrn(let size, let alpha, let beta, let bias) = g.nodes[0].op else { return XCTFail() }
        XCTAssertEqual(size, 5); XCTAssertEqual(alpha, 2e-4); XCTAssertEqual(beta, 0.75); XCTAssertEqual(bias, 2)
        guard case .maxPool(let pool) = g.nodes[1].op else { return XCTFail() }
        XCTAssertEqual([pool.kernelH, pool.kernelW], [5, 4])
        XCTAssertEqual(g.valueShapes[g.nodes[1].output.index], [6, 1, 1])
        XCTAssertTrue(g.receptiveFields()[g.nodes[1].output.index].isGlobal)
    }

    func testConstantNodeAndConcatOfThree() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 3, 3])
        let shape = b.node("Constant", [], attributes: [Attr.tensor("value", ONNXModelBuilder.intTensor("v", [1, -1]))])
        let r1 = b.node("Relu", ["input"])
        let r2 = b.node("Relu", ["input"])
        let c = b.node("Concat", ["input", r1, r2], attributes: [Attr.int("axis", 1)])
        b.node("Reshape", [c, shape], output: "output")
        let g = try b.load(inputSize: nil)
        XCTAssertEqual(g.opSummary, ["relu", "relu", "concat", "reshape [54]"])
        XCTAssertEqual(g.valueShapes[g.nodes[2].output.index], [6, 3, 3])
        var bad = b
        bad.nodes[3].attribute = [Attr.int("axis", 2)]
        assertLRPError(["channel axis"]) { _ = try bad.load() }
    }
}

extension ImportOpTests {
    /// A long chain of Identity nodes disappears in canonicalisation (one pass over the nodes)
    /// and leaves the computation unchanged.
    func testLongIdentityChainIsRemoved() throws {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 2, 5, 5])
        let w = b.floats("w", [3, 2, 3, 3], rng.floats(54))
        var v = b.node("Conv", ["input", w])
        for _ in 0..<5000 { v = b.node("Identity", [v]) }
        let p = b.node("GlobalAveragePool", [v])
        b.node("Flatten", [p], output: "output")
        let g = try b.load()
        XCTAssertEqual(g.nodes.map(\.onnxOp), ["Conv", "GlobalAveragePool", "Flatten"])
        let x = rng.floats(50)
        let logits = try ForwardModel(graph: g).logits(NDArray(shape: [1, 2, 5, 5], data: x))
        assertAllClose(logits.data, ReferenceForward.run(g, sample: x), tol: 1e-5, "logits after the chain")
    }
}

extension ImportOpTests {
    /// Pads near 2^62 (whose sum with the map size overflows) are an error naming the node.
    func testHugePadsAreAnErrorNotATrap() throws {
        for huge: Int64 in [1 << 62, Int64.max, 1 << 21] {
            var b = ONNXModelBuilder(opset: 13, inputShape: [1, 1, 3, 3])
            b.ints("pads", [0, 0, huge, 0, 0, 0, huge, 0])
            let p = b.node("Pad", ["input", "pads"], name: "bigpad")
            let q = b.node("GlobalAveragePool", [p]); b.node("Flatten", [q], output: "output")
            assertLRPError(["bigpad", "pads"]) { _ = try b.load() }
        }
    }
}
