import ArgumentParser
import CLISupport
import FisherVectors
import Foundation
import LRPCore

struct SiftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sift",
        abstract: "Dense SIFT descriptors of one image, as VLFeat's vl_dsift computes them (for cross-checking).",
        discussion: """
        The image is converted to grey levels in [0,1] with MATLAB's rgb2gray weights, rounded to \
        integers as rgb2gray does on 8-bit images (--unrounded-grey keeps the fractions), with no \
        smoothing — i.e. vl_dsift(single(rgb2gray(imread(IMAGE)))/255, 'Size', B, 'Step', S [, 'Fast']). \
        Writes N×128 float32 descriptors on the VLFeat MATLAB scale min(512·d, 255), layout \
        descr[t + 8·(bx + 4·by)], and optionally N×4 frames (x, y, bin size, norm) with 0-BASED \
        x, y (VLFeat MATLAB's are 1-based: add 1).
        """)

    @Argument(help: "Image (JPEG or PNG).") var image: String
    @Option(name: .customLong("bin-size"), parsing: .unconditional, help: "Spatial bin size in pixels.") var binSize: Int
    @Option(parsing: .unconditional, help: "Sampling step in pixels.") var step: Int
    @Flag(help: "Flat window (vl_dsift 'Fast').") var fast = false
    @Option(name: .customLong("window-size"), parsing: .unconditional, help: "Gaussian window std in bins (vl_dsift default 2).") var windowSize: Float = 2
    @Flag(name: .customLong("unrounded-grey"), help: "Do not round the grey levels to integers before dividing by 255.") var unroundedGrey = false
    @Option(name: .customLong("max-descriptors"), parsing: .unconditional, help: "Refuse images that would give more descriptors than this (as lrp-fv explain does).") var maxDescriptors: Int = ImageEncoder.maxDescriptors
    @Option(help: "Output .npy for the descriptors (N×128 float32).") var out: String
    @Option(help: "Output .npy for the frames (N×4 float32: x, y 0-based, bin size, norm).") var frames: String?

    func validate() throws {
        try OptionRange.path("--out", out)
        try OptionRange.path("--frames", frames)
        if let frames, URL(fileURLWithPath: frames).standardizedFileURL == URL(fileURLWithPath: out).standardizedFileURL {
            throw ValidationError("--out and --frames name the same file \(out)")
        }
        // docs/DESIGN.md §7.6: each numeric option's range, named with its flag
        try OptionRange.check("--bin-size", binSize, atLeast: 1)
        try OptionRange.check("--step", step, atLeast: 1)
        try OptionRange.check("--window-size", windowSize, atLeast: 0, exclusive: true)
        try OptionRange.check("--max-descriptors", maxDescriptors, atLeast: 1)
    }

    func run() throws {
        let url = URL(fileURLWithPath: image)
        let options = DenseSIFTOptions(binSize: binSize, step: step, fast: fast, windowSize: windowSize)
        // counted from the header, before the image is decoded
        let (w, h, _) = try Image.info(url)
        let estimate = try DenseSIFT.frameCount(width: w, height: h, options: options)
        guard estimate <= maxDescriptors else {
            throw LRPError("\(image): image of \(w)×\(h) pixels would give \(estimate) descriptors at bin size \(binSize), step \(step) (limit \(maxDescriptors); raise it with --max-descriptors or use a larger step)")
        }
        let img = try Image.load(url)
        let grey = DenseSIFT.unitGrey(img, roundToBytes: !unroundedGrey)
        let features = try DenseSIFT.extract(grey: grey, width: img.width, height: img.height, options: options)
        let descriptors = NDArray(shape: [features.count, 128], data: features.descriptors)
        let frameArray = NDArray(shape: [features.count, 4], data: features.frames)
        let descriptorData = NPY.encode(descriptors)
        let frameData = NPY.encode(frameArray)
        try AtomicFile.write(descriptorData, to: URL(fileURLWithPath: out))
        if let frames { try AtomicFile.write(frameData, to: URL(fileURLWithPath: frames)) }
        Stderr.line("\(features.count) descriptors from \(img.width)×\(img.height) \(image)")
    }
}
