import Foundation
import LRPCore
import ONNXProto

/// Turns the nodes of an ONNX graph, in order, into `Graph` layers. Tensors known at import
/// time (initializers, Constant nodes, folded shape arithmetic) stay constants; everything
/// that depends on the image becomes a runtime value with a per-sample shape.
///
/// The per-op translations live in the `Import*.swift` extensions; this file holds the symbol
/// table and the dispatch.
final class GraphBuilder {
    /// What an ONNX tensor name refers to.
    enum Symbol {
        case runtime(ValueID)
        case constant(ConstTensor)
        /// An output the importer does not produce (e.g. MaxPool's Indices); the reason is the message.
        case unavailable(String)
    }

    let opset: Int
    /// Largest per-sample value the importer accepts (elements); guards against absurd shapes
    /// from corrupt attributes before the engine allocates anything.
    static let maxValueElements = 1 << 30
    /// Most channels a per-channel constant (Add/Sub/Mul/Div) may span: its scale and shift
    /// are materialised at import (64 MiB each at this limit); real networks stay below 2^16.
    static let maxAffineChannels = 1 << 24
    /// Static batch size declared by the model input, if any (a folded Reshape target may
    /// hard-code it instead of -1 or the folded batch size).
    let declaredBatch: Int?
    private let externalDirectory: URL?
    private var symbols: [String: Symbol] = [:]
    private var initializers: [String: Onnx_TensorProto] = [:]

    private(set) var valueShapes: [[Int]] = []
    private(set) var valueNames: [String] = []
    private(set) var nodes: [Node] = []
    /// What constant folding may still allocate in this import.
    let foldingBudget = FoldingBudget()

    init(opset: Int, declaredBatch: Int?, externalDirectory: URL?) {
        self.opset = opset
        self.declaredBatch = declaredBatch
        self.externalDirectory = externalDirectory
    }

    // MARK: symbols

    func addInitializer(_ t: Onnx_TensorProto) { initializers[t.name] = t }

    func isInitializer(_ name: String) -> Bool { initializers[name] != nil }

    /// Declares the image input as value 0.
    func addInput(name: String, shape: [Int]) {
        let id = newValue(name: name, shape: shape)
        symbols[name] = .runtime(id)
    }

    private func newValue(name: String, shape: [Int]) -> ValueID {
        valueShapes.append(shape)
        valueNames.append(name)
        return ValueID(valueShapes.count - 1)
    }

    func shape(of v: ValueID) -> [Int] { valueShapes[v.index] }

    /// The symbol behind an input name; initializers are decoded on first use.
    func symbol(_ name: String, in ctx: NodeContext) throws -> Symbol {
        if let s = symbols[name] { return s }
        if let t = initializers[name] {
            let c = try TensorDecoding.decode(t, what: "initializer '\(name)'", externalDirectory: externalDirectory)
            symbols[name] = .constant(c)
            return .constant(c)
        }
        throw ctx.error("input '\(name)' is not produced by any earlier node, initializer or graph input")
    }

    /// What a graph output name is bound to after all nodes were imported.
    func outputSymbol(named name: String) -> Symbol? {
        if let s = symbols[name] { return s }
        return initializers[name] != nil ? .constant(ConstTensor(shape: [], floats: [])) : nil
    }

    /// Input `i` as a runtime value (an error if it is missing or a constant).
    func runtimeInput(_ ctx: NodeContext, _ i: Int) throws -> ValueID {
        guard let name = ctx.input(i) else { throw ctx.error("missing input \(i + 1)") }
        switch try symbol(name, in: ctx) {
        case .runtime(let v): return v
        case .constant: throw ctx.error("input '\(name)' is a constant; expected a value computed from the image")
        case .unavailable(let why): throw ctx.error(why)
        }
    }

    /// Input `i` as a constant, or nil if the optional input is absent.
    func constantInput(_ ctx: NodeContext, _ i: Int) throws -> ConstTensor? {
        guard let name = ctx.input(i) else { return nil }
        switch try symbol(name, in: ctx) {
        case .constant(let c): return c
        case .runtime: throw ctx.error("input '\(name)' must be a constant (an initializer or a constant sub-graph)")
        case .unavailable(let why): throw ctx.error(why)
        }
    }

    func requiredConstant(_ ctx: NodeContext, _ i: Int, _ what: String) throws -> ConstTensor {
        guard let c = try constantInput(ctx, i) else { throw ctx.error("missing \(what) (input \(i + 1))") }
        return c
    }

    func decodeAttributeTensor(_ t: Onnx_TensorProto, _ ctx: NodeContext, _ attr: String) throws -> ConstTensor {
        try TensorDecoding.decode(t, what: "attribute '\(attr)' of node '\(ctx.name)'", externalDirectory: externalDirectory)
    }

    // MARK: emitting

    /// Appends a layer producing output 0 of `ctx`; other outputs are marked unavailable.
    @discardableResult
    func emit(_ ctx: NodeContext, _ op: LayerOp, inputs: [ValueID], shape: [Int]) throws -> ValueID {
        guard shape.allSatisfy({ $0 >= 1 }) else {
            throw ctx.error("output shape \(ShapeMath.describe(shape)) is empty (input too small for this layer)")
        }
        guard ShapeMath.count(shape, limit: Self.maxValueElements) != nil else {
            throw ctx.error("output shape \(ShapeMath.describe(shape)) is too large")
        }
        guard let outName = ctx.proto.output.first, !outName.isEmpty else { throw ctx.error("has no output") }
        let id = newValue(name: outName, shape: shape)
        nodes.append(Node(name: ctx.name, onnxOp: ctx.op, op: op, inputs: inputs, output: id))
        symbols[outName] = .runtime(id)
        markOtherOutputsUnavailable(ctx)
        return id
    }

    /// Binds output 0 of `ctx` to an existing runtime value (no layer).
    func alias(_ ctx: NodeContext, to v: ValueID) throws {
        guard let outName = ctx.proto.output.first, !outName.isEmpty else { throw ctx.error("has no output") }
        symbols[outName] = .runtime(v)
        markOtherOutputsUnavailable(ctx)
    }

    /// Binds the outputs of `ctx` to constants.
    func bindConstants(_ ctx: NodeContext, _ values: [ConstTensor]) throws {
        for (k, name) in ctx.proto.output.enumerated() where !name.isEmpty {
            guard k < values.count else {
                symbols[name] = .unavailable("output '\(name)' of \(ctx.op) node '\(ctx.name)' is not supported")
                continue
            }
            symbols[name] = .constant(values[k])
        }
    }

    private func markOtherOutputsUnavailable(_ ctx: NodeContext) {
        for name in ctx.proto.output.dropFirst() where !name.isEmpty {
            symbols[name] = .unavailable("output '\(name)' of \(ctx.op) node '\(ctx.name)' is not supported (only the first output of a \(ctx.op) can be used)")
        }
    }

    // MARK: dispatch

    func importNode(_ proto: Onnx_NodeProto, index: Int) throws {
        let name = proto.name.isEmpty ? "\(proto.opType)_\(index)" : proto.name
        let ctx = NodeContext(proto: proto, name: name, op: proto.opType,
                              attributes: NodeAttributes(proto, nodeName: name), opset: opset)
        if !(proto.domain.isEmpty || proto.domain == "ai.onnx") {
            throw LRPError("unsupported ONNX op '\(proto.domain).\(proto.opType)' in node '\(name)'")
        }

        // A node computed from constants only is evaluated now (shape arithmetic and the like).
        var anyRuntime = false
        for i in 0..<proto.input.count {
            guard let n = ctx.input(i) else { continue }
            if case .runtime = try symbol(n, in: ctx) { anyRuntime = true }
        }
        if proto.opType == "Shape", let n = ctx.input(0), case .runtime(let v) = try symbol(n, in: ctx) {
            try bindConstants(ctx, [try ConstantFolding.shapeOfRuntime(valueShape: shape(of: v), ctx)])
            return
        }
        if !anyRuntime, ConstantFolding.supports(proto.opType) {
            let inputs = try (0..<proto.input.count).map { try constantInput(ctx, $0) }
            try bindConstants(ctx, try ConstantFolding.evaluate(ctx, inputs: inputs, builder: self))
            return
        }

        switch proto.opType {
        case "Conv": try importConv(ctx)
        case "Gemm": try importGemm(ctx)
        case "MatMul": try importMatMul(ctx)
        case "Add", "Sub", "Mul", "Div": try importArithmetic(ctx)
        case "Relu": try emit(ctx, .relu, inputs: [runtimeInput(ctx, 0)], shape: shape(of: runtimeInput(ctx, 0)))
        case "LeakyRelu":
            let x = try runtimeInput(ctx, 0)
            try emit(ctx, .leakyRelu(alpha: try ctx.attributes.float("alpha", default: 0.01)), inputs: [x], shape: shape(of: x))
        case "Clip": try importClip(ctx)
        case "MaxPool", "AveragePool": try importPool(ctx)
        case "GlobalAveragePool", "GlobalMaxPool": try importGlobalPool(ctx)
        case "ReduceMean": try importReduceMean(ctx)
        case "BatchNormalization": try importBatchNorm(ctx)
        case "Concat": try importConcat(ctx)
        case "Flatten": try importFlatten(ctx)
        case "Reshape": try importReshape(ctx)
        case "Squeeze", "Unsqueeze": try importSqueeze(ctx)
        case "Dropout": try importDropout(ctx)
        case "Identity": try emit(ctx, .identity, inputs: [runtimeInput(ctx, 0)], shape: shape(of: runtimeInput(ctx, 0)))
        case "Pad": try importPad(ctx)
        case "LRN": try importLRN(ctx)
        case "Softmax": try importSoftmax(ctx)
        default:
            throw LRPError("unsupported ONNX op '\(proto.opType)' in node '\(name)'")
        }
    }
}

/// One ONNX node being imported: its proto, a usable name, and its attributes.
struct NodeContext {
    let proto: Onnx_NodeProto
    let name: String
    let op: String
    let attributes: NodeAttributes
    let opset: Int

    /// Name of input `i`, or nil when absent (ONNX marks skipped optional inputs with "").
    func input(_ i: Int) -> String? {
        guard i < proto.input.count, !proto.input[i].isEmpty else { return nil }
        return proto.input[i]
    }

    func error(_ message: String) -> LRPError {
        LRPError("node '\(name)' (\(op)): \(message)")
    }
}
