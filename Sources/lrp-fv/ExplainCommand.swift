import ArgumentParser
import FisherVectors
import Foundation
import LRPCore

extension Colormap: ExpressibleByArgument {}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Relevance heatmaps of a Fisher-vector classifier's decision, in each image's own pixel grid.",
        discussion: """
        For each IMAGE and resolution writes <stem>.<resolution>.heatmap.npy (H×W float32), \
        .heatmap.png, .overlay.png and .json (prediction, scores, target, score and the relevance \
        sum at each stage) into --out. Resolution 'descriptor' spreads each descriptor's relevance \
        over its 4×4-bin support; 'bin' takes it back through the PCA (epsilon rule, \
        --pca-epsilon) to the 16 SIFT bins and spreads each over its binSize×binSize pixels. \
        All images are explained before anything is written; on an error nothing is left behind.
        """)

    enum Resolution: String, ExpressibleByArgument, CaseIterable { case bin, descriptor, both }

    @Option(help: "Model file (default: the bundled Models/fisher_imagenette.safetensors).") var model: String?
    @Argument(help: "Images (JPEG or PNG).") var images: [String]
    @Option(help: "Output folder.") var out: String
    @Option(help: "bin, descriptor or both.") var resolution: Resolution = .bin
    @Option(help: "Class to explain: auto (the predicted class), an index, a class id or a class name.") var target = "auto"
    @Option(help: "Epsilon of the Fisher-vector step (sum-pooled scale).") var epsilon: Float = 100
    @Option(name: .customLong("pca-epsilon"), help: "Epsilon of the PCA step (descriptor scale 0…255).") var pcaEpsilon: Float = 100
    @Option(help: "Colour map: lrp or bwr.") var colormap: Colormap = .lrp

    func run() throws {
        guard !images.isEmpty else { throw LRPError("no input images") }
        guard epsilon >= 0, epsilon.isFinite, pcaEpsilon >= 0, pcaEpsilon.isFinite else {
            throw LRPError("--epsilon and --pca-epsilon must be non-negative numbers")
        }
        let m = try ModelFile.read(try ModelArgument.resolve(model))
        var targetIndex: Int? = nil
        if target.lowercased() != "auto" {
            guard let t = m.classIndex(target) else {
                throw LRPError("unknown --target \(target): give auto, an index 0…\(m.classes.count - 1), a class id or a name")
            }
            targetIndex = t
        }
        let resolutions: [FisherResolution] = resolution == .both ? [.descriptor, .bin]
            : [resolution == .bin ? .bin : .descriptor]
        let outDir = URL(fileURLWithPath: out)

        // Explain everything first: a bad input leaves no output at all.
        var pending: [(ExplanationFiles, NDArray, Image, [String: Any])] = []
        var taken = Set<String>()
        var notes: [String] = []
        for path in images {
            let url = URL(fileURLWithPath: path)
            let image = try Image.load(url)
            let explanation: FisherExplanation
            let started = Date()
            do {
                explanation = try FisherExplainer.explain(model: m, image: image, target: targetIndex,
                                                          resolutions: Set(resolutions), epsilon: epsilon, pcaEpsilon: pcaEpsilon)
            } catch let e as LRPError { throw LRPError("\(path): \(e.message)") }
            let seconds = Date().timeIntervalSince(started)
            let stem = ExplanationFiles.stem(for: url, taken: &taken)
            for r in resolutions {
                guard let map = explanation.maps[r] else { continue }
                let files = ExplanationFiles(directory: outDir, stem: stem, variant: r.rawValue)
                var summary = explanation.summary(model: m, resolution: r, input: path)
                summary["timeSeconds"] = seconds
                summary["timeNote"] = "dense SIFT + Fisher vector + scores + relevance at every requested resolution of this image"
                pending.append((files, map, image, summary))
            }
            let rel = explanation.relevance
            notes.append("\(path): predicted \(m.classNames[rel.scores.indices.max { rel.scores[$0] < rel.scores[$1] }!]), "
                        + "explaining \(m.classNames[rel.target]) (score \(String(format: "%.4f", rel.score)))")
        }
        var written: [URL] = []
        do {
            for (files, map, image, summary) in pending {
                written += try files.write(heatmap: map, relevance: nil, image: image, summary: summary, colormap: colormap)
            }
        } catch {
            ExplanationFiles.remove(written)
            throw error
        }
        notes.forEach(Stderr.line)
        Stderr.line("wrote \(written.count) files to \(outDir.path)")
    }
}
