import Foundation

/// Files that must not survive an interrupted run: temporary files being written, and the
/// finished files of an output set whose other files are not written yet. On SIGINT or SIGTERM
/// the executables remove them and exit (`installInterruptHandlers`), so an interrupted run
/// leaves only complete files and complete per-image sets.
public enum PendingFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [String: Int] = [:]
    nonisolated(unsafe) private static var handlers: [DispatchSourceSignal] = []
    /// Staging folders (`AtomicFolder`, the report's folder), removed as a whole on interruption.
    nonisolated(unsafe) private static var folders: Set<String> = []
    private static let setKey = "lrp.pendingFiles.set"

    static func track(_ url: URL) { lock.lock(); paths[url.path, default: 0] += 1; lock.unlock() }

    /// Renames a finished temporary folder into place; it stops being pending in the same step.
    static func renameFolder(_ tmp: URL, to url: URL) -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        let status = Foundation.rename(tmp.path, url.path)
        if status == 0 { folders.remove(tmp.path) }
        return status
    }

    static func untrack(_ urls: [URL]) {
        lock.lock()
        for u in urls {
            if let n = paths[u.path] { paths[u.path] = n > 1 ? n - 1 : nil }
        }
        lock.unlock()
    }

    /// Puts the finished temporary file `tmp` at `url` while no interruption can intervene:
    /// inside an open set (`writingSet`) the final file stays pending until the set is done.
    static func rename(_ tmp: URL, to url: URL) -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        let status = Foundation.rename(tmp.path, url.path)
        if let n = paths[tmp.path] { paths[tmp.path] = n > 1 ? n - 1 : nil }
        if status == 0, var open = Thread.current.threadDictionary[setKey] as? [URL] {
            paths[url.path, default: 0] += 1
            open.append(url)
            Thread.current.threadDictionary[setKey] = open
        }
        return status
    }

    /// Marks `folder` as a staging folder: if the run is interrupted before `untrackFolder`, the
    /// folder and everything in it are removed.
    public static func trackFolder(_ folder: URL) { lock.lock(); folders.insert(folder.path); lock.unlock() }

    /// The staging folder was renamed into place or removed: no longer remove it on interruption.
    public static func untrackFolder(_ folder: URL) { lock.lock(); folders.remove(folder.path); lock.unlock() }

    /// Runs `body`, which writes the files of one output set with `AtomicFile`: if the run is
    /// interrupted before `body` returns, the set's finished files are removed too.
    public static func writingSet<T>(_ body: () throws -> T) rethrows -> T {
        let outer = Thread.current.threadDictionary[setKey]
        Thread.current.threadDictionary[setKey] = [URL]()
        defer {
            untrack(Thread.current.threadDictionary[setKey] as? [URL] ?? [])
            Thread.current.threadDictionary[setKey] = outer
        }
        return try body()
    }

    /// On SIGINT or SIGTERM: remove every pending file, print `message`, exit with 128 + signal.
    public static func installInterruptHandlers(message: @escaping (Int32) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard handlers.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                // Holding the lock until exit: no rename can complete a file after this point.
                lock.lock()
                for p in paths.keys { unlink(p) }
                for f in folders { try? FileManager.default.removeItem(atPath: f) }
                message(sig)
                _exit(128 + sig)
            }
            source.resume()
            handlers.append(source)
        }
    }
}
