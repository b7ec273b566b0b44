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

    /// Every encoding is lossless: grey and RGB pictures of heatmap size decode to the same bytes.
    func testEveryPNGEncodingDecodesToTheSamePixels() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (w, h) = (224, 160)
        for channels in [1, 3] {
            // runs of one value (as in colour maps) and noise (as in photographs)
            let pixels: [UInt8] = (0..<(w * h * channels)).map { (i: Int) -> UInt8 in
                let noise: Int = (i &* 2_654_435_761) >> 13
                return i % 5 == 0 ? UInt8(truncatingIfNeeded: noise) : UInt8(truncatingIfNeeded: i / 97)
            }
            for encoding in [PNGFile.Encoding.photo, .colourMap, .stored] {
                let url = dir.appendingPathComponent("e\(channels)-\(encoding.level)-\(encoding.subFilter).png")
                try PNGFile.write(pixels, width: w, height: h, channels: channels, encoding: encoding, to: url)
                let back = try Image.load(url)
                XCTAssertEqual([back.width, back.height, back.channels], [w, h, channels])
                XCTAssertEqual(back.bytes(), pixels, "\(channels) channels, \(encoding)")
            }
        }
    }

    /// The stored encoding keeps RGBA rows as they are, alpha included (the decoder drops alpha,
    /// so the file's deflate stream is read here: stored blocks hold the filtered rows verbatim).
    func testStoredPNGKeepsRGBARowsVerbatim() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (w, h) = (224, 224)
        let pixels: [UInt8] = (0..<(w * h * 4)).map { (i: Int) -> UInt8 in UInt8(truncatingIfNeeded: i &* 7 &+ (i >> 10)) }
        let url = dir.appendingPathComponent("rgba.png")
        try PNGFile.write(pixels, width: w, height: h, channels: 4, encoding: .stored, to: url)
        let file = [UInt8](try Data(contentsOf: url))
        // concatenate the IDAT chunks
        var zlib: [UInt8] = [], at = 8
        while at + 8 <= file.count {
            let length = file[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
            if String(decoding: file[at + 4..<at + 8], as: UTF8.self) == "IDAT" { zlib += file[at + 8..<at + 8 + length] }
            at += 12 + length
        }
        XCTAssertEqual(file[25], 6, "colour type RGBA")
        // zlib header, then stored blocks: BFINAL/BTYPE byte, LEN, NLEN, LEN raw bytes
        var raw: [UInt8] = [], p = 2, last = false
        while !last {
            XCTAssertEqual(zlib[p] & 0b110, 0, "stored block")
            last = zlib[p] & 1 == 1
            let len = Int(zlib[p + 1]) | Int(zlib[p + 2]) << 8
            raw += zlib[p + 5..<p + 5 + len]
            p += 5 + len
        }
        XCTAssertEqual(raw.count, h * (1 + w * 4))
        for y in 0..<h {
            XCTAssertEqual(raw[y * (1 + w * 4)], 0, "row \(y) unfiltered")
            XCTAssertEqual(Array(raw[y * (1 + w * 4) + 1..<(y + 1) * (1 + w * 4)]), Array(pixels[y * w * 4..<(y + 1) * w * 4]))
        }
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

    /// The libm-free byte rounding equals the expression it replaces, halves and edges included.
    func testRoundedByteEqualsRoundedClampedFloat() {
        func reference(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
        var values: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, 254.5, 255, 255.5, 1e9, -1e9]
        for half in stride(from: Float(-1.5), through: 256.5, by: 1) {
            values += [half, half.nextUp, half.nextDown]
        }
        for i in 0...300_000 { values.append(Float(i) * 0.000_9 - 10) }
        for v in values { XCTAssertEqual(roundedByte(v), reference(v), "\(v)") }
    }

    /// The heatmap's one-pass colouring gives each value's `color(v / scale)`.
    func testRenderColoursEveryValueAsColor() {
        var values: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 3, -3, 1.5, -0.75]
        for i in 0..<2_000 { values.append(Float(i) * 0.003_1 - 3.1) }
        let map = NDArray(shape: [1, values.count], data: values)
        for colormap in Colormap.allCases {
            let rendered = Heatmap.render(map, colormap: colormap)
            let scale = Heatmap.maxAbs(values)
            for (i, v) in values.enumerated() {
                let (r, g, b) = colormap.color(v / scale)
                XCTAssertEqual(Array(rendered[3 * i..<3 * i + 3]), [r, g, b], "\(colormap) \(v)")
            }
            let zero = Heatmap.render(NDArray(shape: [1, 2], data: [0, 0]), colormap: colormap)
            let (r, g, b) = colormap.color(0)
            XCTAssertEqual(zero, [r, g, b, r, g, b], "\(colormap): an all-zero map is neutral")
        }
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
