import Foundation
import LRPCore

/// `train/{horiz,vert}` (4 images each + a corrupt JPEG, + an empty folder) and `val` (3 each)
/// of striped pictures under `work/data`: a dataset a tiny Fisher-vector model learns.
func makeStripesDataset(in work: URL) throws -> URL {
    let root = work.appendingPathComponent("data")
    for (split, count) in [("train", 4), ("val", 3)] {
        for (name, vertical) in [("horiz", false), ("vert", true)] {
            let dir = root.appendingPathComponent("\(split)/\(name)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<count {
                let pixels = stripes(width: 44, height: 40, vertical: vertical, period: 6 + i % 3, seed: i + (split == "val" ? 50 : 0))
                try PNGFile.write(pixels, width: 44, height: 40, channels: 3, to: dir.appendingPathComponent("img\(i).png"))
            }
        }
    }
    try Data([0xFF, 0xD8, 0xFF, 0xE0] + (0..<100).map { UInt8($0 % 7) })
        .write(to: root.appendingPathComponent("train/vert/broken.jpg"))
    try FileManager.default.createDirectory(at: root.appendingPathComponent("train/empty"), withIntermediateDirectories: true)
    return root
}

func stripes(width: Int, height: Int, vertical: Bool, period: Int, seed: Int) -> [UInt8] {
    var state = UInt64(seed) &* 6364136223846793005 &+ 1442695040888963407
    var out = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let t = vertical ? x : y
            let base = ((t + seed) / (period / 2)) % 2 == 0 ? 200 : 50
            for c in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                out[(y * width + x) * 3 + c] = UInt8(max(0, min(255, base + Int(state >> 59) - 16)))
            }
        }
    }
    return out
}
