import Foundation
import LRPCore
import ONNXProto
import SwiftProtobuf

/// Reads an ONNX model (opsets 11–17 are the tested range; 7–21 are accepted) into a canonical
/// `Graph`: constant sub-graphs folded, batch norms and biases folded into the layers before
/// them, identities and a final Softmax removed (see `Canonizer`).
///
/// Everything wrong with the file — truncated, not protobuf, missing initializers, wrong weight
/// sizes, bad attributes, unsupported ops — is an `LRPError` naming the node or tensor.
public enum ONNXImporter {
    /// Opset range of the default ("ai.onnx") domain that the importer accepts.
    public static let supportedOpsets = 7...21

    /// Loads a model file. `inputSize` (height, width) overrides the model's declared spatial
    /// input size and is required when the model declares it dynamic.
    public static func load(url: URL) throws -> Graph {
        try load(url: url, inputSize: nil)
    }

    public static func load(url: URL, inputSize: (height: Int, width: Int)?) throws -> Graph {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else {
            throw LRPError("\(url.path): no such model file")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw LRPError("\(url.path): cannot read the model file") }
        return try load(data: data, name: url.path, inputSize: inputSize, directory: url.deletingLastPathComponent())
    }

    public static func load(data: Data, name: String) throws -> Graph {
        try load(data: data, name: name, inputSize: nil, directory: nil)
    }

    public static func load(data: Data, name: String, inputSize: (height: Int, width: Int)?) throws -> Graph {
        try load(data: data, name: name, inputSize: inputSize, directory: nil)
    }

    /// The model's declared per-sample input shape `[C, H, W]`, with nil for dynamic dims
    /// (lets a caller choose `inputSize` before importing).
    public static func declaredInputShape(data: Data, name: String) throws -> [Int?] {
        try declaredInputShape(model: parse(data, name: name), name: name)
    }

    /// `declaredInputShape(data:name:)` of a parsed model (`ModelLoading` parses the file once).
    static func declaredInputShape(model: Onnx_ModelProto, name: String) throws -> [Int?] {
        do {
            let input = try imageInput(model.graph)
            return try declaredShape(input).dims
        } catch let e as LRPError {
            throw LRPError("\(name): \(e.message)")
        }
    }

    static func load(data: Data, name: String, inputSize: (height: Int, width: Int)?, directory: URL?) throws -> Graph {
        try load(model: parse(data, name: name), name: name, inputSize: inputSize, directory: directory)
    }

    static func load(model: Onnx_ModelProto, name: String, inputSize: (height: Int, width: Int)?,
                     directory: URL?) throws -> Graph {
        do {
            let raw = try build(model, inputSize: inputSize, directory: directory)
            return try Canonizer.canonical(raw)
        } catch let e as LRPError {
            throw LRPError("\(name): \(e.message)")
        }
    }

    // MARK: parsing

    static func parse(_ data: Data, name: String) throws -> Onnx_ModelProto {
        guard !data.isEmpty else { throw LRPError("\(name): empty file, not an ONNX model") }
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw LRPError("\(name): not a valid ONNX model (truncated or corrupt protobuf data)")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw LRPError("\(name): not a valid ONNX model (no graph or no nodes)")
        }
        return model
    }

    private static func opset(of model: Onnx_ModelProto) throws -> Int {
        guard let entry = model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }) else {
            throw LRPError("the model declares no ONNX opset")
        }
        let v = Int(clamping: entry.version)
        guard supportedOpsets.contains(v) else {
            throw LRPError("ONNX opset \(v) is not supported (supported: \(supportedOpsets.lowerBound)–\(supportedOpsets.upperBound))")
        }
        return v
    }

    // MARK: graph input

    private static func imageInput(_ g: Onnx_GraphProto) throws -> Onnx_ValueInfoProto {
        let initializerNames = Set(g.initializer.map(\.name))
        let inputs = g.input.filter { !initializerNames.contains($0.name) }
        guard let first = inputs.first else { throw LRPError("the model has no input") }
        guard inputs.count == 1 else {
            throw LRPError("the model has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); expected one image input")
        }
        return first
    }

    /// `[C, H, W]` (nil = dynamic) and the static batch size if declared.
    private static func declaredShape(_ input: Onnx_ValueInfoProto) throws -> (dims: [Int?], batch: Int?) {
        guard case .tensorType(let t)? = input.type.value else {
            throw LRPError("model input '\(input.name)' is not a tensor")
        }
        let floatTypes: Set<Int32> = [1, 10, 11]
        guard floatTypes.contains(t.elemType) else {
            throw LRPError("model input '\(input.name)' has element type \(TensorDecoding.dataTypeName(t.elemType)); expected float")
        }
        let dims: [Int?] = t.shape.dim.map { d in
            if case .dimValue(let v)? = d.value, v > 0, v <= 1 << 20 { return Int(v) }
            return nil
        }
        guard t.hasShape, dims.count == 4 else {
            throw LRPError("model input '\(input.name)' must be a 4-D NCHW image tensor, got rank \(t.shape.dim.count)")
        }
        return (Array(dims[1...]), dims[0])
    }

    // MARK: building

    /// The graph's nodes with exporter decompositions recognised (PyTorch's local response
    /// norm → `LRN`) and the nodes only they used dropped.
    static func preparedNodes(_ g: Onnx_GraphProto, imageInput: String, directory: URL?) throws -> [Onnx_NodeProto] {
        var initializers: [String: Onnx_TensorProto] = [:]
        for t in g.initializer where initializers[t.name] == nil { initializers[t.name] = t }
        var constants: [String: Onnx_NodeProto] = [:]
        for n in g.node where n.opType == "Constant" && n.output.count == 1 { constants[n.output[0]] = n }
        func scalar(_ name: String) throws -> Float? {
            var tensor = initializers[name]
            if tensor == nil, let c = constants[name] {
                if let a = c.attribute.first(where: { $0.name == "value_float" }) { return a.f }
                tensor = c.attribute.first(where: { $0.name == "value" && $0.hasT })?.t
            }
            guard let tensor, tensor.dims.allSatisfy({ $0 == 1 }) else { return nil }
            let c = try TensorDecoding.decode(tensor, what: "constant '\(name)'", externalDirectory: directory)
            return c.count == 1 ? Float(c.double(at: 0)) : nil
        }
        let (fused, count) = try PyTorchLRN.fuse(g.node, imageInput: imageInput, scalar: scalar)
        // Only a fusion leaves dead nodes behind (its shape arithmetic and x·x); other graphs
        // are imported as they are, so that every node of theirs is checked.
        return count == 0 ? g.node : PyTorchLRN.liveNodes(fused, outputs: g.output.map(\.name))
    }

    static func build(_ model: Onnx_ModelProto, inputSize: (height: Int, width: Int)?, directory: URL?) throws -> Graph {
        let g = model.graph
        let opset = try opset(of: model)
        let input = try imageInput(g)
        let (dims, batch) = try declaredShape(input)
        guard let channels = dims[0] else { throw LRPError("model input '\(input.name)' has a dynamic channel count") }
        var h = dims[1], w = dims[2]
        if let inputSize {
            guard inputSize.height >= 1, inputSize.width >= 1, inputSize.height <= 16384, inputSize.width <= 16384 else {
                throw LRPError("invalid input size \(inputSize.height)x\(inputSize.width)")
            }
            h = inputSize.height; w = inputSize.width
        }
        guard let h, let w else {
            throw LRPError("model input '\(input.name)' has a dynamic height or width; give it an input size")
        }

        let builder = GraphBuilder(opset: opset, declaredBatch: batch, externalDirectory: directory)
        for t in g.initializer {
            guard !t.name.isEmpty else { throw LRPError("the model has an initializer without a name") }
            builder.addInitializer(t)
        }
        builder.addInput(name: input.name, shape: [channels, h, w])
        let nodes = try preparedNodes(g, imageInput: input.name, directory: directory)
        for (i, node) in nodes.enumerated() {
            try builder.importNode(node, index: i)
        }

        guard let out = g.output.first else { throw LRPError("the model has no output") }
        guard g.output.count == 1 else {
            throw LRPError("the model has \(g.output.count) outputs; expected one (the class scores)")
        }
        guard case .runtime(let outputValue)? = builder.outputSymbol(named: out.name) else {
            throw LRPError("the model output '\(out.name)' is not computed from the input")
        }
        guard outputValue.index != 0 else { throw LRPError("the model output is its input (no layers)") }
        return Graph(inputName: input.name, inputShape: [channels, h, w], valueShapes: builder.valueShapes,
                     valueNames: builder.valueNames, nodes: builder.nodes, output: outputValue)
    }
}
