import Foundation
import XCTest

/// `lrp-bench cnn`'s GEMM floor (Sources/lrp-bench/GEMMFloor.swift): which products it counts.
/// The times are measured and not checked; the GFLOP of the counted products are exact.
final class BenchFloorTests: XCTestCase {
    /// branchy (fixture): c1 3×3 s2 3→8 at 16×16 (110,592 FLOP), a depthwise conv, c2 1×1 16→12
    /// at 5×5 (9,600) and fc 300→10 (6,000). With alpha-beta everywhere, c1 (the image) and fc
    /// (the unrectified c2) have negative inputs: 1 + 2 + 2 forward and 2 + 2 transposed rows,
    /// 9 products each; c2 follows a ReLU: `[w⁺; w⁻; w]` and `[w⁺; w⁻]`, 5. The depthwise layer
    /// is left out. 9 · 110,592 + 5 · 9,600 + 9 · 6,000 = 1,097,328 FLOP.
    func testFloorCountsTheEnginesProductsPerLayer() throws {
        let line = try floorLine(preset: "alpha2beta1")
        XCTAssertTrue(line.contains("0.0011 GFLOP"), String(line))
        XCTAssertTrue(line.contains("3 one-group conv/linear layers (2 with negative inputs)"), String(line))
        XCTAssertTrue(line.contains("1 grouped/depthwise layers free"), String(line))
        XCTAssertFalse(line.contains("left out"), String(line))
    }

    /// The default preset: c1 flat (its forward product only), c2 z-plus on a rectified input
    /// (`[w⁺; w]` and `w⁺`: 3), fc epsilon (`w` and `wᵀ`: 2): 110,592 + 28,800 + 12,000 FLOP.
    func testFloorOfTheDefaultPreset() throws {
        let line = try floorLine(preset: "epsilon-plus-flat")
        XCTAssertTrue(line.contains("0.000151 GFLOP"), String(line))
        XCTAssertTrue(line.contains("(0 with negative inputs)"), String(line))
    }

    /// The floor line of a one-repeat `lrp-bench cnn` run on branchy at batch 1.
    private func floorLine(preset: String) throws -> Substring {
        let r = try CommandRunner.run("lrp-bench", [
            "cnn", "--model", fixture("cnn-import/branchy.o17.folded.onnx").path, "--preset", preset, "--skip-zennit",
            "--batches", "1", "--repeats", "1", "--sweep-repeats", "1", "--layer-top", "1",
        ], in: FileManager.default.temporaryDirectory)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("GEMM floor at batch 1") }, r.stdout)
    }
}
