import LRPCore
import XCTest

/// Deterministic random numbers for the tests (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func floats(_ n: Int, _ range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<n).map { _ in Float.random(in: range, using: &self) }
    }
}

/// max |a − b| ≤ tol · max(max |b|, floor); reports the worst element.
func assertClose(_ a: [Float], _ b: [Float], tol: Float = 1e-5, floor: Float = 1e-12, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    guard a.count == b.count, !a.isEmpty else { return }
    let scale = max(b.map(abs).max()!, floor)
    var worst = 0, err: Float = 0
    for i in a.indices where abs(a[i] - b[i]) > err || a[i].isNaN {
        err = a[i].isNaN ? .infinity : abs(a[i] - b[i])
        worst = i
    }
    XCTAssertLessThanOrEqual(err, tol * scale,
                             "\(what): max error \(err) at \(worst) (\(a[worst]) vs \(b[worst])), scale \(scale)",
                             file: file, line: line)
}

/// Runs `body` on the AVX2/FMA code paths (if the CPU has them) and on the portable ones.
func withBothPaths(_ body: (String) throws -> Void) rethrows {
    defer { lrp_cpu_disable_simd(0) }
    lrp_cpu_disable_simd(0)
    try body(lrp_cpu_has_avx2_fma() != 0 ? "avx2" : "portable(no avx2)")
    lrp_cpu_disable_simd(1)
    try body("portable")
}

import CKernels
