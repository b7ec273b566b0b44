import CNNRelevance
import FisherVectors
import Foundation
import LRPCore

/// The CNN's explanation of one photo at one or more cut-offs (docs/DESIGN.md §10.1).
public struct CNNPhotoExplanation: Sendable {
    /// The cut-offs explained, in the order asked for.
    public var cutoffs: [Int]
    /// Relevance per pixel of the network input (`[H, W]`, channels summed), by cut-off.
    public var maps: [Int: NDArray]
    /// Σ relevance by cut-off.
    public var relevanceSums: [Int: Float]
    /// The explained class (restricted output index = FV class index) with its logit and its
    /// softmax probability over the restricted outputs.
    public var target: Prediction
    /// All restricted outputs, best first (`ranking[0]` is the CNN's own prediction).
    public var ranking: [Prediction]
    /// The fitted picture the network saw (RGB, input size).
    public var picture: Image
    /// Where the input grid lies on the photo.
    public var placement: GridPlacement
}

/// The FV model's explanation of one photo at both resolutions (docs/DESIGN.md §4.2, §10.1).
public struct FVPhotoExplanation: Sendable {
    /// Maps in the working grid, by resolution; scores, stage sums and target in `relevance`.
    public var explanation: FisherExplanation
    /// The image the pipeline worked on (the photo, or reduced to `ImageEncoder.maxSide`).
    public var image: Image
    public var placement: GridPlacement
    /// The explained class index and the class the model predicts (highest score).
    public var target: Int { explanation.relevance.target }
    public var predicted: Int {
        let s = explanation.relevance.scores
        return s.indices.max { s[$0] < s[$1] } ?? 0
    }
    /// SVM score of the explained class.
    public var score: Float { explanation.relevance.score }
    public var scores: [Float] { explanation.relevance.scores }
}

/// Both models explaining the same class of one photo.
public struct PairExplanation: Sendable {
    public var source: URL
    /// The photo's own size (as stored; EXIF orientation ignored, docs/DESIGN.md §5.3).
    public var photoWidth: Int
    public var photoHeight: Int
    /// The explained class: FV class index = restricted CNN output index.
    public var classIndex: Int
    public var className: String
    public var cnn: CNNPhotoExplanation
    public var fv: FVPhotoExplanation
}

extension ModelPair {
    /// Decodes and preprocesses a photo for the CNN (`InputPreparation`, reduced while decoding
    /// when huge, docs/DESIGN.md §5.3).
    public func cnnInput(_ url: URL) throws -> PreparedInput {
        try InputPreparation.image(url, graph: graph, preprocessing: preprocessing)
    }

    /// Loads a photo at the FV working size (`ImageEncoder.loadImage`).
    public func fvImage(_ url: URL) throws -> Image { try ImageEncoder.loadImage(url) }

    /// Explains a prepared CNN input for `target` (restricted output index; nil: the CNN's own
    /// prediction) at every cut-off of `cutoffs`, sharing one forward pass.
    /// - Throws: `LRPError` for a cut-off out of range (naming it) or a target out of range.
    public func explainCNN(_ input: PreparedInput, target: Int?, cutoffs: [Int], photoWidth: Int, photoHeight: Int) throws
        -> CNNPhotoExplanation {
        let maxK = mappingLayerCount
        if let bad = cutoffs.first(where: { $0 < 0 || $0 > maxK }) {
            throw LRPError("cut-off \(bad) out of range: this model has \(maxK) conv/linear layers (0...\(maxK))")
        }
        let pass = try explainer.forward(InputPreparation.batch([input], graph: graph))
        let logits = pass.logits.data[...]
        let ranking = Ranking.top(logits, k: logits.count, graph: graph, labels: labels)
        let t = target ?? ranking[0].outputIndex
        guard let chosen = ranking.first(where: { $0.outputIndex == t }) else {
            throw LRPError("target \(t) is out of range: the comparison has \(logits.count) classes")
        }
        let relevances = try explainer.explain(pass, targets: [t], cutoffs: cutoffs)
        let (c, h, w) = (graph.inputShape[0], graph.inputShape[1], graph.inputShape[2])
        var maps: [Int: NDArray] = [:], sums: [Int: Float] = [:]
        for (k, r) in zip(cutoffs, relevances) {
            var map = [Float](repeating: 0, count: h * w)
            for ch in 0..<c { for i in 0..<(h * w) { map[i] += r.data[ch * h * w + i] } }
            maps[k] = NDArray(shape: [h, w], data: map)
            sums[k] = r.data.reduce(0, +)
        }
        return CNNPhotoExplanation(cutoffs: cutoffs, maps: maps, relevanceSums: sums, target: chosen, ranking: ranking,
                                   picture: input.picture,
                                   placement: PhotoGeometry.cnn(photoWidth: photoWidth, photoHeight: photoHeight,
                                                                preprocessing: preprocessing))
    }

    /// Explains an FV working image for `target` (class index; nil: the FV prediction) at the
    /// given resolutions (default both).
    public func explainFV(_ image: Image, target: Int?, photoWidth: Int, photoHeight: Int,
                          resolutions: Set<FisherResolution> = [.bin, .descriptor]) throws -> FVPhotoExplanation {
        let e = try FisherExplainer.explain(model: fvModel, image: image, target: target, resolutions: resolutions,
                                            epsilon: options.fvEpsilon, pcaEpsilon: options.fvPCAEpsilon)
        return FVPhotoExplanation(explanation: e, image: image,
                                  placement: PhotoGeometry.fisher(photoWidth: photoWidth, photoHeight: photoHeight))
    }

    /// Explains one photo with both models for the same class: `target` (class index in FV
    /// order) or, when nil, the FV model's predicted class. The CNN is explained at each of
    /// `cutoffs` (e.g. `[0, K]`), the FV model at bin and descriptor resolution.
    /// - Throws: `LRPError` starting with the photo's path for an unreadable or corrupt photo.
    public func explain(_ url: URL, target: Int? = nil, cutoffs: [Int]) throws -> PairExplanation {
        do {
            let (pw, ph, _) = try Image.info(url)
            let fv = try explainFV(try fvImage(url), target: target, photoWidth: pw, photoHeight: ph)
            let cnn = try explainCNN(try cnnInput(url), target: fv.target, cutoffs: cutoffs, photoWidth: pw, photoHeight: ph)
            return PairExplanation(source: url, photoWidth: pw, photoHeight: ph, classIndex: fv.target,
                                   className: fvModel.classNames[fv.target], cnn: cnn, fv: fv)
        } catch let e as LRPError where !e.message.hasPrefix(url.path) {
            throw LRPError("\(url.path): \(e.message)")
        }
    }
}
