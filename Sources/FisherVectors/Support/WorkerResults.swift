import Foundation
import LRPCore

/// Thread-safe list of skipped images.
final class SkipLog: @unchecked Sendable {
    private var seen: [String: String] = [:]
    private var order: [String] = []
    private let lock = NSLock()

    func add(_ url: URL, _ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if seen[url.path] == nil {
            let message = error.userMessage
            seen[url.path] = message.hasPrefix(url.path) ? message : "\(url.path): \(message)"
            order.append(url.path)
        }
    }

    var lines: [String] { lock.lock(); defer { lock.unlock() }; return order.map { seen[$0]! } }
    var count: Int { lock.lock(); defer { lock.unlock() }; return order.count }
    var countDetail: String { let n = count; return n == 0 ? "" : "\(n) skipped" }
}

/// A thread-safe counter for progress.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
