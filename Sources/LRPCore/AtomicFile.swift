import Foundation

/// Writing files so that a reader never sees half of one: data goes to a hidden temporary file
/// in the destination directory, then `rename(2)` puts it in place (atomic on POSIX).
public enum AtomicFile {
    /// Writes `data` to `url` atomically, creating the parent directory if needed.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { tmp in
            // one open/write/close (Foundation's Data.write adds its own temporary-file dance)
            let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw LRPError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
            var failure: Int32 = 0
            data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < buf.count {
                    let n = Foundation.write(fd, buf.baseAddress! + offset, buf.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    offset += n
                }
            }
            if close(fd) != 0, failure == 0 { failure = errno }
            if failure != 0 { throw LRPError("cannot write \(url.path): \(String(cString: strerror(failure)))") }
        }
    }

    /// Calls `produce` with a temporary path next to `url`, then renames it to `url`.
    /// If `produce` throws, the temporary file is removed and nothing appears at `url`.
    public static func write(to url: URL, _ produce: (URL) throws -> Void) throws {
        let dir = url.deletingLastPathComponent()
        try ensureDirectory(dir)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        PendingFiles.track(tmp)  // removed if the run is interrupted
        do {
            try produce(tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            PendingFiles.untrack([tmp])
            throw error
        }
        if PendingFiles.rename(tmp, to: url) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw LRPError("cannot write \(url.path): \(reason)")
        }
    }

    /// Creates `dir` (and parents) if missing; an existing non-directory is an error.
    public static func ensureDirectory(_ dir: URL) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir) {
            if !isDir.boolValue { throw LRPError("\(dir.path) exists and is not a directory") }
            return
        }
        // POSIX mkdir for each missing component: on Linux, Foundation's createDirectory reports
        // only "The operation could not be completed"; strerror says why ("Not a directory").
        var missing: [String] = []
        var path = dir.standardizedFileURL.path
        while path.count > 1, !FileManager.default.fileExists(atPath: path) {
            missing.append(path)
            path = (path as NSString).deletingLastPathComponent
        }
        for component in missing.reversed() where mkdir(component, 0o777) != 0 && errno != EEXIST {
            throw LRPError("cannot create directory \(dir.path): \(String(cString: strerror(errno)))")
        }
    }
}
