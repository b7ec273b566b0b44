import Foundation

/// A folder of results written all or nothing (docs/DESIGN.md §7.3): everything goes into a
/// hidden temporary folder next to the destination, which is renamed into place only when
/// complete. An existing destination is replaced only then. On failure or interruption
/// (SIGINT/SIGTERM, `PendingFiles`) the temporary folder is removed, so a reader sees either
/// the old folder, the complete new one, or nothing.
public enum AtomicFolder {
    /// Runs `body` with the temporary folder to fill, then puts it at `dir`.
    public static func write(to dir: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw LRPError("\(dir.path) exists and is not a directory")
        }
        let parent = dir.deletingLastPathComponent()
        try AtomicFile.ensureDirectory(parent)
        let tmp = parent.appendingPathComponent(".\(dir.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
        } catch {
            throw LRPError("cannot create a folder in \(parent.path): \(error.localizedDescription)")
        }
        PendingFiles.trackFolder(tmp)
        defer {
            PendingFiles.untrackFolder(tmp)
            try? fm.removeItem(at: tmp)
        }
        try body(tmp)
        // An old folder is moved aside first and removed after the rename.
        var old: URL?
        if fm.fileExists(atPath: dir.path) {
            let aside = parent.appendingPathComponent(".\(dir.lastPathComponent).old-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            guard rename(dir.path, aside.path) == 0 else {
                throw LRPError("cannot replace \(dir.path): \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard PendingFiles.renameFolder(tmp, to: dir) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old.path, dir.path) }
            throw LRPError("cannot write \(dir.path): \(reason)")
        }
        if let old { try? fm.removeItem(at: old) }
    }
}
