import Foundation
import LRPCore
import XCTest

final class AtomicFolderTests: XCTestCase {
    func testFolderAppearsWholeOrNotAtAllAndReplacesTheOldOneOnlyWhenComplete() throws {
        let fm = FileManager.default
        let parent = fm.temporaryDirectory.appendingPathComponent("atomic-folder-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: parent) }
        let dir = parent.appendingPathComponent("report")
        func leftovers() throws -> [String] { try fm.contentsOfDirectory(atPath: parent.path).filter { $0 != "report" } }

        try AtomicFolder.write(to: dir) { tmp in
            try Data("1".utf8).write(to: tmp.appendingPathComponent("a.txt"))
        }
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("a.txt"), encoding: .utf8), "1")

        // A failure half-way keeps the old folder as it was and leaves no temporary folder.
        XCTAssertThrowsError(try AtomicFolder.write(to: dir) { tmp in
            try Data("2".utf8).write(to: tmp.appendingPathComponent("a.txt"))
            throw LRPError("stop")
        })
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("a.txt"), encoding: .utf8), "1")
        XCTAssertEqual(try leftovers(), [])

        try AtomicFolder.write(to: dir) { tmp in
            try Data("3".utf8).write(to: tmp.appendingPathComponent("b.txt"))
        }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.path), ["b.txt"])
        XCTAssertEqual(try leftovers(), [])

        // A file where the folder should go is an error, not replaced.
        let file = parent.appendingPathComponent("plain")
        try Data().write(to: file)
        XCTAssertThrowsError(try AtomicFolder.write(to: file) { _ in })
    }
}
