import Foundation
import XCTest
@testable import LRPCore

/// Hostile or malformed `.npy` headers are errors naming the problem, never traps
/// (regressions from fuzzing, Fuzz/ and Scripts/fuzz.sh), and the header follows the format's grammar.
final class NPYHeaderTests: XCTestCase {
    /// Version 1.0 bytes with this header text (padded) and payload.
    static func npy(_ header: String, payload: [UInt8] = []) -> Data {
        var h = header
        h += String(repeating: " ", count: (64 - (10 + h.utf8.count + 1) % 64) % 64) + "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count & 0xFF), UInt8(h.utf8.count >> 8)])
        out.append(contentsOf: Array(h.utf8))
        out.append(contentsOf: payload)
        return out
    }

    func assertError(_ header: String, _ expected: String, payload: [UInt8] = [], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try NPY.decode(Self.npy(header, payload: payload)), file: file, line: line) { e in
            XCTAssertTrue(e.userMessage.contains(expected), "'\(e.userMessage)' lacks '\(expected)'", file: file, line: line)
        }
    }

    /// Fuzzing crash: the element count of the shape overflowed Int (trap in shape.reduce(1, *)).
    func testShapeWhoseElementCountOverflowsIsAnError() {
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "too large")
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0), }", "too large")
        // The count fits but count × item size does not.
        assertError("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", "too large")
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "shape")
    }

    func testFortranOrderIsHonoured() throws {
        // 2x3 [[1,2,3],[4,5,6]] stored column by column.
        let payload = [Float](arrayLiteral: 1, 4, 2, 5, 3, 6).withUnsafeBytes { [UInt8]($0) }
        let a = try NPY.decode(Self.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", payload: payload))
        XCTAssertEqual(a, NDArray(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]))
        let b = try NPY.decode(Self.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (6,), }", payload: payload))
        XCTAssertEqual(b.data, [1, 4, 2, 5, 3, 6])
    }

    func testFortranOrderMustBeTrueOrFalse() {
        assertError("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "fortran_order must be True or False")
        assertError("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", "fortran_order must be True or False")
        assertError("{'descr': '<f4', 'fortran_order': 'False', 'shape': (1,), }", "fortran_order must be True or False")
    }

    func testDuplicatedMissingAndUnknownKeysAreErrors() {
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,), }", "'shape' given twice")
        assertError("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", "'descr' given twice")
        assertError("{'descr': '<f4', 'fortran_order': False, }", "no shape")
        assertError("{'shape': (1,), 'fortran_order': False}", "no descr")
        assertError("{'descr': '<f4', 'shape': (1,)}", "no fortran_order")
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unknown key 'extra'")
    }

    func testTextAfterTheDictIsAnError() {
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", "text after the header dict")
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }}", "text after the header dict")
        assertError("'descr': '<f4', 'fortran_order': False, 'shape': (1,)", "expected '{'")
        assertError("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", "',' or '}'")
    }

    func testShapeIsATupleOfNonNegativeIntegers() throws {
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", "(n,)")
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "non-negative integers")
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': [1], }", "'('")
        assertError("{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,), }", "non-negative integers")
        // What numpy writes: "()", "(n,)", "(a, b)", Python 2 longs "(2L, 3L)", double quotes.
        XCTAssertEqual(try NPY.decode(Self.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", payload: [7])).data, [7])
        XCTAssertEqual(try NPY.decode(Self.npy("{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (2L, 1L)}", payload: [7, 8])).shape, [2, 1])
        XCTAssertEqual(try NPY.decode(Self.npy("{'descr':'|u1','fortran_order':False,'shape':(1,2,),}", payload: [7, 8])).shape, [1, 2])
    }

    func testStructuredDtypeIsUnsupported() {
        assertError("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "unsupported dtype")
        assertError("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype >f4")
    }
}
