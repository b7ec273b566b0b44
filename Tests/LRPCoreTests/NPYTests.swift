import Foundation
import XCTest
@testable import LRPCore

final class NPYTests: XCTestCase {
    func testRoundTripKeepsShapeAndValues() throws {
        let a = NDArray(shape: [2, 3, 4], data: (0..<24).map { Float($0) * 0.5 - 3 })
        let b = try NPY.decode(NPY.encode(a))
        XCTAssertEqual(a, b)
    }

    func testHeaderIsAlignedTo64Bytes() {
        let data = NPY.encode(NDArray(shape: [5], data: [1, 2, 3, 4, 5]))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
    }

    func testRejectsTruncatedData() {
        var data = NPY.encode(NDArray(shape: [10], data: [Float](repeating: 1, count: 10)))
        data.removeLast(8)
        XCTAssertThrowsError(try NPY.decode(data)) { e in
            XCTAssertTrue(e.userMessage.contains("truncated"), e.userMessage)
        }
    }

    func testRejectsNonNPY() {
        XCTAssertThrowsError(try NPY.decode(Data("hello world, not numpy".utf8)))
    }
}
