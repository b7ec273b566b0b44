import Foundation
import LRPCore
import ONNXProto

/// PyTorch's exporter writes `nn.LocalResponseNorm` (`F.local_response_norm`) not as an ONNX
/// `LRN` node but as its decomposition:
///
///     d = x·x → view [N, 1, C, H, W] → Pad (channel axis) → AveragePool [size, 1, 1]
///       → squeeze (an `If` on the squeezed axis) → view [N, C, H, W]
///     y = x / (d·alpha + k)^beta
///
/// plus Shape/Gather/Unsqueeze/Concat sub-graphs for the views. That is ONNX's LRN exactly
/// (its square sum is also divided by `size`) for odd sizes, where PyTorch pads the channel axis
/// by (size−1)/2 on both sides. This pass finds the pattern and puts one `LRN` node in place of
/// the final `Div`; the nodes it made unnecessary are dropped by `liveNodes`.
enum PyTorchLRN {
    /// The node list with every recognised decomposition replaced by an `LRN` node (same
    /// output name, at the position of the `Div`), and how many were replaced.
    /// - Parameters:
    ///   - imageInput: name of the graph's image input (the root of the data-dependent values).
    ///   - scalar: the value of a name that is a one-element constant (initializer or
    ///     `Constant` node), nil otherwise.
    /// - Throws: `LRPError` for the pattern with an even size (PyTorch's window is then not
    ///   centred the way ONNX's LRN is).
    static func fuse(_ nodes: [Onnx_NodeProto], imageInput: String,
                     scalar: (String) throws -> Float?) throws -> ([Onnx_NodeProto], Int) {
        var producer: [String: Onnx_NodeProto] = [:]
        for n in nodes { for o in n.output where !o.isEmpty { producer[o] = n } }
        let data = dataDependentNames(nodes, imageInput: imageInput)

        var out = nodes
        var count = 0
        for (i, div) in nodes.enumerated() where div.opType == "Div" && div.input.count == 2 {
            guard let (size, alpha, bias, beta) = try match(div, producer: producer, data: data, scalar: scalar) else {
                continue
            }
            guard size % 2 == 1 else {
                throw LRPError("node '\(div.name)': local response norm (PyTorch's decomposition) with even size \(size) is not supported; use an odd size")
            }
            var lrn = Onnx_NodeProto()
            lrn.opType = "LRN"
            lrn.name = div.name.hasSuffix("/Div") ? String(div.name.dropLast(3)) + "LRN" : div.name
            lrn.input = [div.input[0]]
            lrn.output = [div.output[0]]
            lrn.attribute = [intAttribute("size", size), floatAttribute("alpha", alpha),
                             floatAttribute("beta", beta), floatAttribute("bias", bias)]
            out[i] = lrn
            count += 1
        }
        return (out, count)
    }

    /// `x / (m·alpha + k)^beta` with `m` PyTorch's channel average of `x·x`: (size, alpha, k, beta).
    private static func match(_ div: Onnx_NodeProto, producer: [String: Onnx_NodeProto], data: Set<String>,
                              scalar: (String) throws -> Float?) throws -> (Int, Float, Float, Float)? {
        let x = div.input[0]
        guard data.contains(x), let pow = producer[div.input[1]], pow.opType == "Pow", pow.input.count == 2,
              let beta = try scalar(pow.input[1]),
              let add = producer[pow.input[0]], add.opType == "Add", add.input.count == 2 else { return nil }
        // Add and Mul with a constant may have it on either side.
        func split(_ n: Onnx_NodeProto) throws -> (String, Float)? {
            if data.contains(n.input[0]), let c = try scalar(n.input[1]) { return (n.input[0], c) }
            if data.contains(n.input[1]), let c = try scalar(n.input[0]) { return (n.input[1], c) }
            return nil
        }
        guard let (scaled, bias) = try split(add), let mul = producer[scaled], mul.opType == "Mul", mul.input.count == 2,
              let (mean, alpha) = try split(mul) else { return nil }

        // Walk the data path back from the channel mean to x·x.
        var name = mean
        var size: Int?
        var padded = false
        for _ in 0..<16 {
            guard let n = producer[name] else { return nil }
            switch n.opType {
            case "Mul":
                guard n.input.count == 2, n.input[0] == x, n.input[1] == x, padded, let size else { return nil }
                return (size, alpha, bias, beta)
            case "Reshape", "Unsqueeze", "Squeeze", "Identity":
                guard let first = n.input.first, data.contains(first) else { return nil }
                name = first
            case "If":
                let refs = Set(outerReferences(n)).intersection(data)
                guard refs.count == 1, let only = refs.first else { return nil }
                name = only
            case "Pad":
                let mode = n.attribute.first { $0.name == "mode" }.map { String(decoding: $0.s, as: UTF8.self) } ?? "constant"
                guard !padded, size != nil, mode == "constant", let first = n.input.first, data.contains(first) else {
                    return nil
                }
                if n.input.count > 2, !n.input[2].isEmpty {
                    guard let v = try scalar(n.input[2]), v == 0 else { return nil }
                }
                padded = true
                name = first
            case "AveragePool":
                guard size == nil, !padded, let first = n.input.first, let k = averagePoolSize(n) else { return nil }
                size = k
                name = first
            default:
                return nil
            }
        }
        return nil
    }

    /// The channel window of PyTorch's LRN pooling: kernel [size, 1, 1], stride 1, no padding,
    /// padding counted (it is zeros from the Pad before).
    private static func averagePoolSize(_ n: Onnx_NodeProto) -> Int? {
        var kernel: [Int64] = [], ok = true
        for a in n.attribute {
            switch a.name {
            case "kernel_shape": kernel = a.ints
            case "strides": ok = ok && a.ints.allSatisfy { $0 == 1 }
            case "pads": ok = ok && a.ints.allSatisfy { $0 == 0 }
            case "ceil_mode": ok = ok && a.i == 0
            case "count_include_pad": ok = ok && a.i == 1
            case "auto_pad": ok = ok && ["", "NOTSET"].contains(String(decoding: a.s, as: UTF8.self))
            default: break
            }
        }
        guard ok, kernel.count == 3, kernel[1] == 1, kernel[2] == 1, kernel[0] >= 1, kernel[0] <= 1 << 16 else { return nil }
        return Int(kernel[0])
    }

    /// Names that carry image-dependent values (not merely the image's shape).
    private static func dataDependentNames(_ nodes: [Onnx_NodeProto], imageInput: String) -> Set<String> {
        var data: Set<String> = [imageInput]
        for n in nodes where n.opType != "Shape" {
            let inputs = n.input + (n.opType == "If" || n.opType == "Loop" || n.opType == "Scan" ? outerReferences(n) : [])
            if inputs.contains(where: { data.contains($0) }) {
                for o in n.output where !o.isEmpty { data.insert(o) }
            }
        }
        return data
    }

    /// Names a node's sub-graphs (If/Loop branches) read from the enclosing graph.
    static func outerReferences(_ n: Onnx_NodeProto) -> [String] {
        var refs: [String] = []
        for a in n.attribute {
            for g in (a.hasG ? [a.g] : []) + a.graphs {
                var local = Set(g.input.map(\.name)).union(g.initializer.map(\.name))
                for m in g.node {
                    for i in m.input + outerReferences(m) where !i.isEmpty && !local.contains(i) { refs.append(i) }
                    for o in m.output { local.insert(o) }
                }
            }
        }
        return refs
    }

    /// The nodes that contribute to `outputs` (in their order); the rest — e.g. the shape
    /// arithmetic a fused pattern no longer needs — is dropped.
    static func liveNodes(_ nodes: [Onnx_NodeProto], outputs: [String]) -> [Onnx_NodeProto] {
        var live = Set(outputs)
        var keep = [Bool](repeating: false, count: nodes.count)
        for (i, n) in nodes.enumerated().reversed() where n.output.contains(where: { live.contains($0) }) {
            keep[i] = true
            for name in n.input + outerReferences(n) where !name.isEmpty { live.insert(name) }
        }
        return nodes.indices.filter { keep[$0] }.map { nodes[$0] }
    }

    private static func intAttribute(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(v)
        return a
    }

    private static func floatAttribute(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = v
        return a
    }
}
