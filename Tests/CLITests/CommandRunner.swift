import Foundation
import XCTest

/// What one run of a command-line tool gave: exit status and both output streams.
struct CommandOutcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the package's executables (`lrp-cnn`, `lrp-fv`) as a user would. The CLI test target
/// depends on them, so they are built next to the test bundle.
enum CommandRunner {
    /// The executable `name` next to the test bundle; skips the test if it is not there.
    static func executable(_ name: String) throws -> URL {
        var dirs = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        dirs += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for d in dirs {
            let candidate = d.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("\(name) executable not found next to the tests (looked in \(dirs.map(\.path)))")
    }

    /// Runs `name arguments...` in `directory` with `environment` added to this process's.
    static func run(_ name: String, _ arguments: [String], in directory: URL,
                    environment: [String: String] = [:]) throws -> CommandOutcome {
        let process = Process()
        process.executableURL = try executable(name)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting: a full pipe would block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandOutcome(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                              stderr: String(decoding: e, as: UTF8.self))
    }
}

/// The failure contract of both tools: a non-zero exit (exactly `exitStatus` if given) and one
/// `error: ...` line on stderr that mentions every fragment.
func assertErrorLine(_ r: CommandOutcome, mentions fragments: [String], exitStatus: Int32? = nil,
                     context: String = "", file: StaticString = #filePath, line: UInt = #line) {
    if let exitStatus {
        XCTAssertEqual(r.status, exitStatus, "\(context): exit status; stderr \(r.stderr)", file: file, line: line)
    } else {
        XCTAssertNotEqual(r.status, 0, "\(context): exit status", file: file, line: line)
    }
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    XCTAssertEqual(lines.count, 1, "\(context): stderr should be one line: \(r.stderr)", file: file, line: line)
    XCTAssertTrue(r.stderr.hasPrefix("error: "), "\(context): \(r.stderr)", file: file, line: line)
    for f in fragments {
        XCTAssertTrue(r.stderr.contains(f), "\(context): '\(r.stderr)' does not mention '\(f)'", file: file, line: line)
    }
}

/// Fails if `dir` holds any file (no partial output after an error).
func assertNoFiles(_ dir: URL, file: StaticString = #filePath, line: UInt = #line) {
    let contents = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    XCTAssertEqual(contents, [], "files left in \(dir.path)", file: file, line: line)
}
