import Foundation

/// Finds the bundled default models (`Models/` at the repository root), used when no model
/// file is given. Looked up, in order: `$LRP_MODELS/<name>`, `./Models/<name>`, and
/// `Models/<name>` in the folders above the running executable (covers `swift run` and
/// `.build/release/lrp-cnn` started from anywhere).
public enum ModelLocator {
    public static func bundled(_ name: String) throws -> URL {
        var candidates: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["LRP_MODELS"], !dir.isEmpty {
            candidates.append(URL(fileURLWithPath: dir).appendingPathComponent(name))
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("Models").appendingPathComponent(name))
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("Models").appendingPathComponent(name))
            dir = dir.deletingLastPathComponent()
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
            return found
        }
        throw LRPError("bundled model Models/\(name) not found (looked in $LRP_MODELS, ./Models and Models/ above the executable)")
    }
}
