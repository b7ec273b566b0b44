import ArgumentParser
import Foundation
import LRPCore

/// Parses the command line and runs the command with the exit-status convention of all the
/// toolkit's executables:
///
/// - 0: success, and help (`--help`, `help`, or a command group run without a subcommand),
///   printed to stdout;
/// - 1: bad input: a value the tool cannot use (out of range, or not fitting the model or data;
///   `validate()` throws an `LRPError` for those), a bad file, or a failure while running;
/// - 2: a usage error: the command line itself is malformed (unknown option, missing or
///   unparsable value, no input, options that do not go together: `ValidationError`).
///
/// Every failure is exactly one `error: ...` line on stderr.
public enum CommandLineRunner {
    public static let usageErrorStatus: Int32 = 2

    /// Runs `root` on the process arguments and exits with its status.
    public static func run(_ root: any ParsableCommand.Type) -> Never {
        exit(status(root))
    }

    /// Runs `root` on `arguments` (the process arguments if nil) and returns the exit status.
    public static func status(_ root: any ParsableCommand.Type, arguments: [String]? = nil) -> Int32 {
        // An interrupted run leaves no temporary files and no incomplete output sets.
        PendingFiles.installInterruptHandlers { sig in
            Stderr.error("interrupted (signal \(sig)); unfinished output removed")
        }
        do {
            var command = try root.parseAsRoot(arguments)
            try command.run()
            return 0
        } catch {
            return report(error, root: root)
        }
    }

    /// Prints what `error` means for the user and returns the exit status.
    static func report(_ error: Error, root: any ParsableCommand.Type) -> Int32 {
        if let e = error as? LRPError {
            Stderr.error(e.message)
            return 1
        }
        let code = root.exitCode(for: error)
        if code == .success {
            print(root.fullMessage(for: error))
            return 0
        }
        if code == .validationFailure {
            Stderr.error(root.message(for: error))
            return usageErrorStatus
        }
        // An `ExitCode` thrown on purpose has said what it had to say.
        if error is ExitCode { return code.rawValue }
        Stderr.error(root.message(for: error))
        return 1
    }
}
