import CKernels
import XCTest
@testable import FisherVectors

final class HalfPrecisionTests: XCTestCase {
    /// Both code paths agree with Swift's own Float16 conversion (round to nearest even),
    /// including subnormals, overflow and special values.
    func testMatchesSwiftFloat16OnBothPaths() {
        var values: [Float] = [0, -0, 1, -1, 0.1, 65504, 65520, 1e6, -1e6, 6e-8, 3e-8, 1e-5, -2.5e-6, .infinity, -.infinity]
        var rng = SplitMix64(seed: 11)
        for _ in 0..<5000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0xBFFF_FFFF) ) }
        values = values.filter { !$0.isNaN }
        for simd in [true, false] {
            lrp_cpu_disable_simd(simd ? 0 : 1)
            defer { lrp_cpu_disable_simd(0) }
            let halves = HalfPrecision.encode(values)
            for (v, h) in zip(values, halves) {
                XCTAssertEqual(h, Float16(v).bitPattern, "\(v) simd \(simd)")
            }
            let back = HalfPrecision.decode(halves)
            for (h, f) in zip(halves, back) { XCTAssertEqual(f, Float(Float16(bitPattern: h))) }
        }
        XCTAssertTrue(HalfPrecision.decode(HalfPrecision.encode([.nan]))[0].isNaN)
    }

    func testRowStoreRoundTripsInFileAndMemory() throws {
        let dir = try FVPipelineTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for scratch in [dir, nil] as [URL?] {
            let store = try HalfRowStore(rows: 3, columns: 5, scratchDirectory: scratch)
            let rows: [[Float]] = [[1, 2, 3, 4, 5], [-0.5, 0.25, 1e-3, 100, 7], [0, 0, 0, 0, 1]]
            for (r, row) in rows.enumerated() { row.withUnsafeBufferPointer { store.setRow(r, from: $0.baseAddress!) } }
            var out = [Float](repeating: 0, count: 3)
            store.copy(row: 1, columns: 1..<4, into: &out)
            XCTAssertEqual(out, [0.25, Float(Float16(Float(1e-3))), 100])
        }
        // The backing file is unlinked at once: nothing is left in the scratch folder.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }
}
