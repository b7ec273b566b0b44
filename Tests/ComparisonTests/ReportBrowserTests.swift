@testable import Comparison
import Foundation
import XCTest

/// The report page in a real browser (docs/DESIGN.md §10.3): headless Chromium (Debian's
/// `chromium`, installed by `Scripts/install-test-deps.sh`) opens a synthetic report from disk —
/// no dataset, no network — at different fragments. Skipped, saying why, only if Chromium is
/// not installed.
final class ReportBrowserTests: XCTestCase {
    var work: URL!
    var report: URL!

    override func setUpWithError() throws {
        guard Chromium.executable != nil else {
            throw XCTSkip("chromium not found (looked for $LRP_CHROMIUM, /usr/bin/chromium, chromium and chromium-browser on PATH); Scripts/install-test-deps.sh installs it")
        }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("report-browser-\(UUID().uuidString)")
        report = work.appendingPathComponent("report")
        let folder = try ReportFolder(destination: report)
        try folder.finish(try ReportFixtures.document(names: ["first.JPEG", "second.JPEG"], folder: folder))
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    func page(_ fragment: String) -> String {
        report.appendingPathComponent("index.html").absoluteString + "#" + fragment
    }

    func testScreenshotsAtTwoFragmentsDiffer() throws {
        let first = work.appendingPathComponent("first.png"), second = work.appendingPathComponent("second.png")
        try Chromium.run(["--screenshot=\(first.path)", "--window-size=1000,1400", page("image=0&k=0")], work: work)
        try Chromium.run(["--screenshot=\(second.path)", "--window-size=1000,1400", page("image=0&k=8&fv=descriptor")], work: work)
        let a = try Data(contentsOf: first), b = try Data(contentsOf: second)
        XCTAssertEqual(Array(a.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG screenshot")
        XCTAssertGreaterThan(a.count, 5_000, "the page rendered something")
        XCTAssertNotEqual(a, b, "the map shown at k=8 differs from k=0")
    }

    func testSliderFollowsTheFragment() throws {
        let dom = try Chromium.run(["--dump-dom", page("image=1&k=8&fv=descriptor")], work: work)
        let section = try XCTUnwrap(Chromium.element(dom, id: "image-1"))
        XCTAssertFalse(section.contains(" hidden"), "the picked image is shown")
        XCTAssertTrue(try XCTUnwrap(Chromium.element(dom, id: "image-0")).contains(" hidden"), "the others are hidden")
        // K = 8 is the third stop of 0, 4, 8; descriptor the second FV stop.
        XCTAssertEqual(Chromium.attribute(dom, element: "input", id: "cnn-slider-1", name: "value"), "2")
        XCTAssertEqual(Chromium.attribute(dom, element: "input", id: "fv-slider-1", name: "value"), "1")
        XCTAssertTrue(section.contains("src=\"images/001/cnn-k08.png\""), "the shown CNN map follows the slider")
        XCTAssertTrue(section.contains("src=\"images/001/fv-descriptor.png\""))
        XCTAssertTrue(section.contains("<output>K = 8</output>"))

        // A cut-off the sweep does not have: the nearest one (7 → 8); a bad image index is clamped.
        let nearest = try Chromium.run(["--dump-dom", page("image=99&k=3")], work: work)
        XCTAssertEqual(Chromium.attribute(nearest, element: "input", id: "cnn-slider-1", name: "value"), "1")
        XCTAssertTrue(try XCTUnwrap(Chromium.element(nearest, id: "image-1")).contains("src=\"images/001/cnn-k04.png\""))
        // Without a fragment: the first image at K = 0, the unchanged map.
        let plain = try Chromium.run(["--dump-dom", report.appendingPathComponent("index.html").absoluteString], work: work)
        XCTAssertEqual(Chromium.attribute(plain, element: "input", id: "cnn-slider-0", name: "value"), "0")
        XCTAssertTrue(try XCTUnwrap(Chromium.element(plain, id: "image-0")).contains("src=\"images/000/cnn-k00.png\""))
    }
}

/// Runs headless Chromium with a fresh profile and a time limit.
enum Chromium {
    static let timeout: TimeInterval = 60

    static var executable: String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["LRP_CHROMIUM"], !env.isEmpty { candidates.append(env) }
        candidates.append("/usr/bin/chromium")
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") {
            candidates.append("\(dir)/chromium")
            candidates.append("\(dir)/chromium-browser")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs Chromium on `arguments` and returns its standard output (the DOM for `--dump-dom`).
    @discardableResult
    static func run(_ arguments: [String], work: URL) throws -> String {
        let profile = work.appendingPathComponent("profile-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable!)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                             "--user-data-dir=\(profile.path)"] + arguments
        let out = Pipe(), err = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = out
        process.standardError = err
        // Read stdout as it comes: a full pipe would block Chromium.
        final class Sink: @unchecked Sendable { var data = Data() }
        let sink = Sink()
        let reader = Thread { sink.data = out.fileHandleForReading.readDataToEndOfFile() }
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        reader.start()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            throw ChromiumError("chromium did not finish within \(Int(timeout)) s: \(arguments.joined(separator: " "))")
        }
        while !reader.isFinished { usleep(10_000) }  // the rest of stdout after exit
        guard process.terminationStatus == 0 else {
            throw ChromiumError("chromium exited with status \(process.terminationStatus): \(arguments.joined(separator: " "))")
        }
        return String(decoding: sink.data, as: UTF8.self)
    }

    /// The opening tag and content of the element with `id` (up to the next element of the same kind).
    static func element(_ dom: String, id: String) -> String? {
        guard let start = dom.range(of: "id=\"\(id)\"") else { return nil }
        let open = dom[..<start.lowerBound].lastIndex(of: "<") ?? start.lowerBound
        let rest = dom[start.upperBound...]
        let end = rest.range(of: "<section class=\"image\"")?.lowerBound ?? rest.range(of: "</section>")?.upperBound ?? dom.endIndex
        return String(dom[open..<end])
    }

    /// The value of attribute `name` on the `<element id="id" …>` tag.
    static func attribute(_ dom: String, element: String, id: String, name: String) -> String? {
        guard let idRange = dom.range(of: "id=\"\(id)\""),
              let open = dom[..<idRange.lowerBound].range(of: "<\(element)", options: .backwards),
              let close = dom[idRange.upperBound...].firstIndex(of: ">") else { return nil }
        let tag = dom[open.lowerBound..<close]
        guard let a = tag.range(of: " \(name)=\""), let q = tag[a.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(tag[a.upperBound..<q])
    }
}

struct ChromiumError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
