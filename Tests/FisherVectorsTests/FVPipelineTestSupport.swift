import Foundation
import LRPCore
@testable import FisherVectors

/// Synthetic images, datasets and tiny models for the pipeline tests (no real data needed).
enum FVPipelineTestSupport {
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-fv-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A grey-ish RGB picture with stripes (vertical or horizontal) plus noise, so that dense
    /// SIFT sees strong, class-dependent gradients.
    static func stripes(width: Int, height: Int, vertical: Bool, period: Int = 7, seed: UInt64) -> Image {
        var rng = SplitMix64(seed: seed)
        var pixels = [Float](repeating: 0, count: width * height * 3)
        let phase = Int(rng.next() % UInt64(period))
        for y in 0..<height {
            for x in 0..<width {
                let t = vertical ? x : y
                let on = ((t + phase) / max(1, period / 2)) % 2 == 0
                let base: Float = on ? 200 : 50
                for c in 0..<3 {
                    let noise = Float(rng.next() % 41) - 20
                    pixels[(y * width + x) * 3 + c] = max(0, min(255, base + noise + Float(c) * 5))
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    static func writePNG(_ image: Image, to url: URL) throws {
        try PNGFile.write(image.bytes(), width: image.width, height: image.height, channels: image.channels, to: url)
    }

    /// `<root>/train/{vert,horiz}/*.png` with `perClass` images each, optionally a corrupt
    /// JPEG in `vert` and an empty class folder.
    @discardableResult
    static func makeDataset(root: URL, perClass: Int = 4, size: Int = 48, corrupt: Bool = false,
                            emptyClass: Bool = false, split: String = "train") throws -> URL {
        for (name, vertical) in [("horiz", false), ("vert", true)] {
            let dir = root.appendingPathComponent(split).appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<perClass {
                let img = stripes(width: size, height: size, vertical: vertical, period: 6 + i % 3,
                                  seed: UInt64(i * 2 + (vertical ? 1 : 0)) + (split == "train" ? 0 : 1000))
                try writePNG(img, to: dir.appendingPathComponent("img\(i).png"))
            }
        }
        if corrupt {
            var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0]
            bytes += (0..<200).map { UInt8(($0 * 37) % 251) }
            try Data(bytes).write(to: root.appendingPathComponent("\(split)/vert/broken.jpg"))
        }
        if emptyClass {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("\(split)/empty"),
                                                    withIntermediateDirectories: true)
        }
        return root
    }

    /// Options small enough for a test to train in a second or two.
    static func tinyOptions() -> TrainingOptions {
        var o = TrainingOptions()
        o.features.binSizes = [4, 6]
        o.features.step = 4
        o.features.pyramid = [PyramidLevel(rows: 1, columns: 1), PyramidLevel(rows: 2, columns: 1)]
        o.pcaDimension = 8
        o.gmm.componentCount = 4
        o.gmm.maxIterations = 10
        o.descriptorSample = 2_000
        o.sampleImages = 8
        o.svm.maxEpochs = 20
        o.scratchDirectory = nil
        return o
    }

    /// A small model built from one image's descriptors (PCA + GMM fitted to them) with
    /// deterministic pseudo-random SVM weights: enough for relevance and file tests.
    static func handModel(image: Image, k: Int = 4, dims: Int = 8, classes: Int = 2) throws -> FisherVectorModel {
        var features = FeatureOptions()
        features.binSizes = [4, 6]
        features.step = 3
        features.pyramid = [PyramidLevel(rows: 1, columns: 1), PyramidLevel(rows: 2, columns: 2)]
        let sift = try ImageEncoder.descriptors(of: image, features: features)
        let pca = try PCA.fit(samples: sift.descriptors, count: sift.count, dimension: 128, outputDimension: dims)
        let projected = pca.project(sift.descriptors, count: sift.count)
        var g = GMMTrainingOptions()
        g.componentCount = k
        g.maxIterations = 5
        let (gmm, _) = try GMMTrainer.train(data: projected, count: sift.count, dimension: dims, options: g)
        let length = features.cellCount * gmm.fisherLength
        var rng = SplitMix64(seed: 7)
        let weights = (0..<(classes * length)).map { _ in Float(Double(rng.next() % 2001) / 1000 - 1) }
        let biases = (0..<classes).map { Float($0) * 0.25 - 0.1 }
        return try FisherVectorModel(classes: (0..<classes).map { "c\($0)" }, classNames: (0..<classes).map { "class \($0)" },
                                     features: features, pca: pca, gmm: gmm,
                                     svms: LinearSVMs(classCount: classes, dimension: length, weights: weights, biases: biases),
                                     trainingCommand: "test")
    }
}
