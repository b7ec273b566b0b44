import CNNRelevance
import Foundation
import LRPCore
import ONNXProto
import SwiftProtobuf
import XCTest

/// Builds small ONNX models with the generated protobuf types, for importer tests.
struct ONNXModelBuilder {
    var opset: Int64 = 13
    var inputName = "input"
    /// `[N, C, H, W]`; nil entries are dynamic (dim_param).
    var inputShape: [Int?] = [nil, 3, 8, 8]
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var outputName = "output"

    init(opset: Int64 = 13, inputShape: [Int?] = [nil, 3, 8, 8]) {
        self.opset = opset
        self.inputShape = inputShape
    }

    /// Adds a node; returns its (first) output name.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], output: String? = nil, outputs extra: [String] = [],
                       name: String? = nil, attributes: [Onnx_AttributeProto] = []) -> String {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name ?? "\(op)_\(nodes.count)"
        n.input = inputs
        let out = output ?? "\(n.name)_out"
        n.output = [out] + extra
        n.attribute = attributes
        nodes.append(n)
        return out
    }

    /// Float initializer stored in `raw_data` (little-endian), or in `float_data` if `typed`.
    @discardableResult
    mutating func floats(_ name: String, _ dims: [Int], _ values: [Float], typed: Bool = false) -> String {
        initializers.append(ONNXModelBuilder.floatTensor(name, dims, values, typed: typed))
        return name
    }

    @discardableResult
    mutating func ints(_ name: String, _ values: [Int64], dims: [Int]? = nil, typed: Bool = false) -> String {
        initializers.append(ONNXModelBuilder.intTensor(name, values, dims: dims, typed: typed))
        return name
    }

    static func floatTensor(_ name: String, _ dims: [Int], _ values: [Float], typed: Bool = false) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = 1
        if typed {
            t.floatData = values
        } else {
            var d = Data()
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
            t.rawData = d
        }
        return t
    }

    static func intTensor(_ name: String, _ values: [Int64], dims: [Int]? = nil, typed: Bool = false) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = (dims ?? [values.count]).map(Int64.init)
        t.dataType = 7
        if typed {
            t.int64Data = values
        } else {
            var d = Data()
            for v in values { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
            t.rawData = d
        }
        return t
    }

    func model() -> Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var os = Onnx_OperatorSetIdProto()
        os.domain = ""
        os.version = opset
        m.opsetImport = [os]
        var g = Onnx_GraphProto()
        g.name = "test"
        g.node = nodes
        g.initializer = initializers
        g.input = [ONNXModelBuilder.valueInfo(inputName, inputShape)]
        g.output = [ONNXModelBuilder.valueInfo(outputName, [nil, nil])]
        m.graph = g
        return m
    }

    static func valueInfo(_ name: String, _ shape: [Int?]) -> Onnx_ValueInfoProto {
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = 1
        var s = Onnx_TensorShapeProto()
        s.dim = shape.enumerated().map { i, d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "d\(i)" }
            return dim
        }
        tt.shape = s
        var type = Onnx_TypeProto()
        type.tensorType = tt
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = type
        return v
    }

    func data() throws -> Data { try model().serializedBytes() }

    func load(inputSize: (height: Int, width: Int)? = nil) throws -> Graph {
        try ONNXImporter.load(data: data(), name: "test.onnx", inputSize: inputSize)
    }
}

/// Attribute constructors.
enum Attr {
    static func int(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(v); return a
    }
    static func ints(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = v.map(Int64.init); return a
    }
    static func float(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = v; return a
    }
    static func string(_ name: String, _ v: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .string; a.s = Data(v.utf8); return a
    }
    static func tensor(_ name: String, _ t: Onnx_TensorProto) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .tensor; a.t = t; return a
    }
}

/// Asserts that `body` throws an `LRPError` whose message contains every fragment.
func assertLRPError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                    _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let e as LRPError {
        for f in fragments {
            XCTAssertTrue(e.message.contains(f), "error '\(e.message)' does not mention '\(f)'", file: file, line: line)
        }
        XCTAssertFalse(e.message.contains("\n"), "error spans several lines: \(e.message)", file: file, line: line)
    } catch {
        XCTFail("expected LRPError, got \(error)", file: file, line: line)
    }
}

extension Graph {
    /// The layer ops in order, as short descriptions (for compact assertions).
    var opSummary: [String] { nodes.map { $0.op.shortDescription } }
}

/// Locates fixture files through `#filePath` (no SwiftPM resources).
func fixtureURL(_ relative: String, file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(relative)
}

/// Deterministic random numbers for the importer tests (SplitMix64).
struct ImportRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func floats(_ n: Int) -> [Float] {
        (0..<n).map { _ in Float(Double(next() >> 11) / Double(1 << 53)) * 2 - 1 }
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// max |a − b| ≤ tol · max(max |b|, 1e-12), reporting the worst element.
func assertAllClose(_ a: [Float], _ b: [Float], tol: Float, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    guard a.count == b.count, !a.isEmpty else { return }
    let scale = max(b.map(abs).max() ?? 0, 1e-12)
    var worst = 0, err: Float = 0
    for i in a.indices where !(abs(a[i] - b[i]) <= err) {
        err = abs(a[i] - b[i]).isNaN ? .infinity : abs(a[i] - b[i])
        worst = i
    }
    XCTAssertLessThanOrEqual(err, tol * scale, "\(what): max error \(err) at \(worst) (\(a[worst]) vs \(b[worst]))",
                             file: file, line: line)
}
