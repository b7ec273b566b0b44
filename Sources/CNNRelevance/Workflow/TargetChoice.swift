import LRPCore

/// Which class an explanation starts from: `auto`, a class index or a label.
public enum TargetChoice: Sendable, Equatable {
    /// The top prediction of each image.
    case auto
    /// A class index of the model (its original index, also when the outputs are restricted).
    case index(Int)
    /// A class name from the label file.
    case label(String)

    public init(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased() == "auto" { self = .auto } else if let i = Int(t) { self = .index(i) } else { self = .label(t) }
    }

    /// The output position this choice means for `graph`, or nil for `auto` (decided per image).
    /// - Throws: `LRPError` for an index out of range or not among the kept classes, or an unknown label.
    public func resolve(graph: Graph, labels: ClassLabels?) throws -> Int? {
        let outputs = graph.valueShapes[graph.output.index].first ?? 0
        let classIndex: Int
        switch self {
        case .auto:
            return nil
        case .index(let i):
            classIndex = i
        case .label(let name):
            guard let labels else {
                throw LRPError("target '\(name)' is a label but no label file is known (give a label file or a class index)")
            }
            classIndex = try labels.index(of: name)
        }
        if let classes = graph.outputClasses {
            guard let k = classes.firstIndex(of: classIndex) else {
                throw LRPError("target class \(classIndex) is not among the selected classes \(classes.map(String.init).joined(separator: ","))")
            }
            return k
        }
        guard (0..<outputs).contains(classIndex) else {
            throw LRPError("target class \(classIndex) out of range: the model has \(outputs) classes (0...\(outputs - 1))")
        }
        return classIndex
    }
}
