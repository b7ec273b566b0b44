import Foundation
import LRPCore

/// Class names, one per line in class-index order (e.g. `Models/imagenet_classes.txt`).
/// A line may list synonyms separated by commas ("tabby, tabby cat"); the first is the
/// display name and any of them selects the class.
public struct ClassLabels: Sendable {
    public var names: [String]

    public init(names: [String]) { self.names = names }

    public static func load(_ url: URL) throws -> ClassLabels {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw LRPError("\(url.path): cannot read the label file")
        }
        return try parse(text, source: url.path)
    }

    /// Parses the text of a label file; errors start with `source` (the file's path).
    public static func parse(_ text: String, source: String) throws -> ClassLabels {
        // Split on any line break: "\r\n" is one Character in Swift, so splitting on "\n" would miss it.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else { throw LRPError("\(source): the label file is empty") }
        // A name given twice would make "--target NAME" and the printed labels ambiguous.
        var seen: [String: Int] = [:]
        for (i, line) in lines.enumerated() {
            guard !line.isEmpty else { throw LRPError("\(source): line \(i + 1) is empty (one class name per line)") }
            if let first = seen.updateValue(i, forKey: line.lowercased()) {
                throw LRPError("\(source): lines \(first + 1) and \(i + 1) name the same class '\(line)'")
            }
        }
        return ClassLabels(names: lines)
    }

    /// Display name of class `i` (its first synonym), or "class i".
    public func name(_ i: Int) -> String {
        guard names.indices.contains(i) else { return "class \(i)" }
        let first = names[i].split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return first.isEmpty ? names[i] : first
    }

    /// Index of the class called `label` (case-insensitive; a whole line or one synonym).
    /// - Throws: `LRPError` if no class or several classes carry that name.
    public func index(of label: String) throws -> Int {
        let wanted = label.trimmingCharacters(in: .whitespaces).lowercased()
        if let i = names.firstIndex(where: { $0.lowercased() == wanted }) { return i }
        let matches = names.indices.filter { i in
            names[i].split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == wanted }
        }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw LRPError("unknown class label '\(label)' (not in the label file)") }
        throw LRPError("class label '\(label)' is ambiguous: classes \(matches.map(String.init).joined(separator: ", "))")
    }
}
