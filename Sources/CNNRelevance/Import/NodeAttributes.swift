import Foundation
import LRPCore
import ONNXProto

/// Typed, validated access to an ONNX node's attributes. Every error names the node.
struct NodeAttributes {
    let node: String
    private var byName: [String: Onnx_AttributeProto] = [:]

    init(_ proto: Onnx_NodeProto, nodeName: String) {
        node = nodeName
        for a in proto.attribute { byName[a.name] = a }
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    private func bad(_ name: String, _ what: String) -> LRPError {
        LRPError("node '\(node)': attribute '\(name)' \(what)")
    }

    func int(_ name: String) throws -> Int? {
        guard let a = byName[name] else { return nil }
        guard a.type == .int || (a.type == .undefined && a.hasI) else { throw bad(name, "is not an integer") }
        guard a.i >= Int64(Int32.min), a.i <= Int64(Int32.max) else { throw bad(name, "is out of range (\(a.i))") }
        return Int(a.i)
    }

    func int(_ name: String, default value: Int) throws -> Int { try int(name) ?? value }

    func float(_ name: String) throws -> Float? {
        guard let a = byName[name] else { return nil }
        guard a.type == .float || (a.type == .undefined && a.hasF) else { throw bad(name, "is not a float") }
        return a.f
    }

    func float(_ name: String, default value: Float) throws -> Float { try float(name) ?? value }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = byName[name] else { return nil }
        guard a.type == .ints || (a.type == .undefined && !a.ints.isEmpty) else { throw bad(name, "is not a list of integers") }
        guard a.ints.count <= 64 else { throw bad(name, "has too many entries") }
        return try a.ints.map { v in
            guard v >= Int64(Int32.min), v <= Int64(Int32.max) else { throw bad(name, "has an out-of-range entry \(v)") }
            return Int(v)
        }
    }

    func floats(_ name: String) throws -> [Float]? {
        guard let a = byName[name] else { return nil }
        guard a.type == .floats || (a.type == .undefined && !a.floats.isEmpty) else { throw bad(name, "is not a list of floats") }
        return a.floats
    }

    func string(_ name: String) throws -> String? {
        guard let a = byName[name] else { return nil }
        guard a.type == .string || (a.type == .undefined && a.hasS) else { throw bad(name, "is not a string") }
        guard let s = String(data: a.s, encoding: .utf8) else { throw bad(name, "is not valid UTF-8") }
        return s
    }

    func tensor(_ name: String) throws -> Onnx_TensorProto? {
        guard let a = byName[name] else { return nil }
        guard a.type == .tensor || (a.type == .undefined && a.hasT) else { throw bad(name, "is not a tensor") }
        return a.t
    }

    /// A list attribute of exactly `count` entries (e.g. `strides` of a 2-D op), or `fallback`.
    func ints(_ name: String, count: Int, default fallback: [Int]) throws -> [Int] {
        guard let v = try ints(name) else { return fallback }
        guard v.count == count else { throw bad(name, "has \(v.count) entries; expected \(count)") }
        return v
    }
}
