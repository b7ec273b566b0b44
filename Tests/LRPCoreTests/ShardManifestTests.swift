import Foundation
@testable import LRPCore
import XCTest

final class ShardManifestTests: XCTestCase {
    func testSHA256KnownDigests() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var pieces = SHA256()
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        for start in stride(from: 0, to: million.count, by: 65_537) { pieces.update(million[start..<min(million.count, start + 65_537)]) }
        XCTAssertEqual(pieces.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testManifestRoundTripAndResume() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let shard = try Shard(index: 1, count: 3)
        let items = shard.members(of: Array(0..<8)).map { ShardManifest.Item(id: "img\($0)", position: $0, labels: [1, -1]) }
        let fresh = ShardManifest(tool: "t", command: "eval", modelSHA256: "abc", options: ["k": "v"], shard: shard,
                                  totalItems: 8, context: ["x": try JSONValue(any: ["a": [1, 2], "f": Float(0.485)])], items: items)
        let run = try ShardRun(output: dir, fresh: fresh)
        run.markDone(0, checksum: "s")
        try run.save()
        let back = try ShardManifest.read(from: run.folder)
        XCTAssertEqual(back.items.map(\.position), [1, 4, 7])
        XCTAssertEqual(back.counts.done, 1)
        XCTAssertEqual(back.context, fresh.context)
        XCTAssertEqual(try ShardRun(output: dir, fresh: fresh).todo { _ in true }, [1, 2])
        var other = fresh
        other.options["k"] = "w"
        XCTAssertThrowsError(try ShardRun(output: dir, fresh: other)) { XCTAssertTrue("\($0)".contains("other options")) }
    }
}
