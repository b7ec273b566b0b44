import ArgumentParser
import Foundation
import LRPCore

/// Parses the command line and runs the command: user errors (`LRPError`, and any other error a
/// library throws) become `error: <message>` on stderr with exit status 1; argument errors,
/// help and version keep ArgumentParser's own output.
enum CommandLineRunner {
    static func run(_ root: any ParsableCommand.Type) -> Never {
        var command: ParsableCommand
        do {
            command = try root.parseAsRoot()
        } catch {
            root.exit(withError: error)
        }
        do {
            try command.run()
            exit(0)
        } catch let e as ExitCode {
            exit(e.rawValue)
        } catch where root.exitCode(for: error) == .success {
            // A command group run without a subcommand asks for its help.
            print(root.fullMessage(for: error))
            exit(0)
        } catch {
            Stderr.line("error: \(error.userMessage)")
            exit(1)
        }
    }
}

/// Writing to standard error (progress, warnings, errors).
enum Stderr {
    static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Progress events as lines on stderr, at most about one per second per stage (plus the last).
final class ProgressPrinter: @unchecked Sendable {
    private var last: [String: Date] = [:]
    private let lock = NSLock()
    private let start = Date()

    var handler: ProgressHandler {
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
enum SkipReport {
    static func print(_ title: String, _ lines: [String], limit: Int = 20) {
        guard !lines.isEmpty else { return }
        Stderr.line("warning: \(title): \(lines.count)")
        for line in lines.prefix(limit) { Stderr.line("  \(line)") }
        if lines.count > limit { Stderr.line("  … and \(lines.count - limit) more") }
    }
}
