import Foundation
import LRPCore

/// Writing to standard error (progress, warnings, errors); results go to stdout.
public enum Stderr {
    public static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `error: <message>` as one line: line breaks and the indentation around them are folded
    /// into single spaces.
    public static func error(_ message: String) {
        line("error: " + oneLine(message))
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// Progress events as lines on stderr, at most about one per second per stage (plus the last).
public final class ProgressPrinter: @unchecked Sendable {
    private var last: [String: Date] = [:]
    private let lock = NSLock()
    private let start = Date()

    public init() {}

    public var handler: ProgressHandler {
        { [self] event in
            lock.lock(); defer { lock.unlock() }
            let now = Date()
            if event.done < event.total, let t = last[event.stage], now.timeIntervalSince(t) < 1 { return }
            last[event.stage] = now
            let elapsed = String(format: "%6.1fs", now.timeIntervalSince(start))
            let detail = event.detail.isEmpty ? "" : "  \(event.detail)"
            Stderr.line("[\(elapsed)] \(event.stage) \(event.done)/\(event.total)\(detail)")
        }
    }
}

/// Lists of problems that were skipped: the count, then the first few lines.
public enum SkipReport {
    public static func print(_ title: String, _ lines: [String], limit: Int = 20) {
        guard !lines.isEmpty else { return }
        Stderr.line("warning: \(title): \(lines.count)")
        for line in lines.prefix(limit) { Stderr.line("  \(line)") }
        if lines.count > limit { Stderr.line("  … and \(lines.count - limit) more") }
    }
}
