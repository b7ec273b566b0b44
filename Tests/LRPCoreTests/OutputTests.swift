import Foundation
import XCTest
@testable import LRPCore

final class OutputTests: XCTestCase {
    func testPNGWriteReadRoundTrip() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pixels: [UInt8] = (0..<(5 * 4 * 3)).map { UInt8($0 * 4) }
        let url = dir.appendingPathComponent("x.png")
        try PNGFile.write(pixels, width: 5, height: 4, channels: 3, to: url)
        let back = try Image.load(url)
        XCTAssertEqual(back.bytes(), pixels)
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["x.png"])
    }

    func testAtomicWriteLeavesNothingWhenProducerFails() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: dir.appendingPathComponent("y.npy")) { tmp in
            try Data([1, 2, 3]).write(to: tmp)
            throw Boom()
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    func testColormapsAreSymmetricAroundNeutral() {
        XCTAssertEqual(Colormap.bwr.color(0).0, 255)
        XCTAssertEqual(Colormap.bwr.color(0).2, 255)
        XCTAssertEqual(Colormap.bwr.color(1).2, 0)
        XCTAssertEqual(Colormap.bwr.color(-1).0, 0)
        // lrp: zero is green-dominant, +1 dark red, −1 dark blue.
        let zero = Colormap.lrp.color(0), top = Colormap.lrp.color(1), bottom = Colormap.lrp.color(-1)
        XCTAssertGreaterThan(zero.1, zero.0)
        XCTAssertGreaterThan(zero.1, zero.2)
        XCTAssertTrue(top.0 > 100 && top.1 == 0 && top.2 == 0)
        XCTAssertTrue(bottom.2 > 100 && bottom.0 == 0 && bottom.1 == 0)
    }

    func testExplanationFilesWritesTheFullSet() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let map = NDArray(shape: [2, 3], data: [0, 1, -1, 0.5, 2, -2])
        let image = Image(width: 3, height: 2, channels: 3, pixels: [Float](repeating: 128, count: 18))
        let files = ExplanationFiles(directory: dir, stem: "cat", variant: "cutoff-2")
        try files.write(heatmap: map, relevance: NDArray(shape: [1, 2, 3], data: map.data), image: image,
                        summary: ["sum": Float(0.5), "nan": Float.nan])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(names, ["cat.cutoff-2.heatmap.npy", "cat.cutoff-2.heatmap.png", "cat.cutoff-2.json",
                               "cat.cutoff-2.overlay.png", "cat.cutoff-2.relevance.npy"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: files.url("json"))) as! [String: Any]
        XCTAssertTrue(json["nan"] is NSNull)
        let overlay = try Image.load(files.url("overlay.png"))
        XCTAssertEqual(overlay.channels, 3) // alpha is dropped on decode
        XCTAssertEqual(try NPY.read(files.url("heatmap.npy")), map)
    }

    func testStemsAreMadeUnique() {
        var taken: Set<String> = []
        XCTAssertEqual(ExplanationFiles.stem(for: URL(fileURLWithPath: "/a/x.jpg"), taken: &taken), "x")
        XCTAssertEqual(ExplanationFiles.stem(for: URL(fileURLWithPath: "/b/x.png"), taken: &taken), "x-2")
    }

    func testParallelForEachVisitsEveryIndexOnce() {
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { buf in
            let p = buf
            Parallel.forEach(1000) { p[$0] += 1 }
        }
        XCTAssertEqual(hits, [Int](repeating: 1, count: 1000))
        var covered = [Int](repeating: 0, count: 37)
        covered.withUnsafeMutableBufferPointer { buf in
            let p = buf
            Parallel.forChunks(37) { r in for i in r { p[i] += 1 } }
        }
        XCTAssertEqual(covered, [Int](repeating: 1, count: 37))
    }
}

final class OverlayTests: XCTestCase {
    func testOverlayAlphaComesFromALowResolutionMap() {
        // One hot pixel in a 56×56 map: the low-resolution alpha spreads it over its 2×2 block
        // neighbourhood instead of lighting a single pixel.
        var data = [Float](repeating: 0, count: 56 * 56)
        data[20 * 56 + 20] = 1
        let image = Image(width: 56, height: 56, channels: 3, pixels: [Float](repeating: 100, count: 56 * 56 * 3))
        let rgba = Heatmap.overlay(image: image, map: NDArray(shape: [56, 56], data: data))
        let alpha = stride(from: 3, to: rgba.count, by: 4).map { rgba[$0] }
        XCTAssertEqual(alpha.max(), 255)
        XCTAssertGreaterThan(alpha.filter { $0 > 0 }.count, 4)
        XCTAssertEqual(alpha[0], 0) // far corner stays transparent
        XCTAssertEqual(rgba[0], 100) // colour is the input's
    }

    func testLowResolutionMapKeepsBlockMeans() {
        let map = NDArray(shape: [4, 4], data: [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let low = Heatmap.lowResolution(map, block: 2)
        XCTAssertEqual(low[0], 1, accuracy: 1e-6)      // inside the first block's centre region
        XCTAssertEqual(low[15], 0, accuracy: 1e-6)
        // Pixel (y 1, x 2) lies 0.25 block below and 0.75 block right of block (0,0)'s centre.
        XCTAssertEqual(low[1 * 4 + 2], (1 - 0.75) * (1 - 0.25), accuracy: 1e-6)
    }
}
