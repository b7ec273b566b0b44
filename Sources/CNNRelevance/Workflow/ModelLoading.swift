import Foundation
import LRPCore
import ONNXProto

/// Loading a model for the command line: the input size follows the model unless the user
/// sets one; a model with dynamic height/width gets `fallbackSize` (224 for ImageNet models).
public enum ModelLoading {
    /// - Returns: the graph, restricted to `classes` if given, and the model's own class count.
    public static func load(_ url: URL, size: Int?, fallbackSize: Int = 224, classes: [Int]?) throws -> (graph: Graph, modelClasses: Int) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else {
            throw LRPError("\(url.path): no such model file")
        }
        guard let data = try? Data(contentsOf: url) else { throw LRPError("\(url.path): cannot read the model file") }
        if let size, size < 1 || size > 4096 { throw LRPError("input size must be between 1 and 4096 (got \(size))") }
        // parsed once: the protobuf decode of a large model is a noticeable part of a short run
        let model = try ONNXImporter.parse(data, name: url.path)
        var inputSize: (height: Int, width: Int)?
        if let size {
            inputSize = (size, size)
        } else {
            let declared = try ONNXImporter.declaredInputShape(model: model, name: url.path)
            if declared.count == 3, declared[1] == nil || declared[2] == nil {
                inputSize = (declared[1] ?? fallbackSize, declared[2] ?? fallbackSize)
            }
        }
        var graph = try ONNXImporter.load(model: model, name: url.path, inputSize: inputSize,
                                          directory: url.deletingLastPathComponent())
        let modelClasses = graph.valueShapes[graph.output.index].first ?? 0
        if let classes { graph = try graph.restrictingOutputs(to: classes) }
        return (graph, modelClasses)
    }

    /// Parses a class list "i,j,...".
    public static func parseClasses(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var out: [Int] = []
        for p in parts {
            guard let i = Int(p), i >= 0 else {
                throw LRPError("the class list expects comma-separated class indices like 0,217,482 (got '\(text)')")
            }
            out.append(i)
        }
        return out
    }
}
