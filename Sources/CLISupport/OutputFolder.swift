import Foundation
import LRPCore

/// The output folder of a batch command: checked and created before the first image, so that a
/// folder that cannot be made is one whole-run error, not one error per image (docs/DESIGN.md §7.5).
public enum OutputFolder {
    /// `--out` must not name an existing file.
    public static func check(_ out: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir), !isDir.boolValue {
            throw LRPError("--out \(out) exists and is not a directory")
        }
    }

    public static func create(_ folder: URL) throws {
        try AtomicFile.ensureDirectory(folder)
    }
}
