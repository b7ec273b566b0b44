import CNNRelevance
import Foundation
import LRPCore

/// The CNN side of the faithfulness comparison (docs/DESIGN.md §10.2): the ONNX model restricted
/// to the compared classes, explained with the default preset at every `cutoffStride`-th
/// cut-off (one forward pass and one cheap sweep, §2.8) and with the other presets at K = 0;
/// perturbed in its preprocessed input tensor and re-scored in batches.
public final class CNNFaithfulness {
    public let graph: Graph
    public let methods: [FaithfulnessMethod]
    public let preprocessing: Preprocessing
    public let space: InputSpace
    public let classIDs: [String]
    public let classNames: [String]
    public let modelName: String
    private let explainers: [RulePreset: Explainer]
    private let scorer: ForwardModel
    private let batchSize: Int
    public static let defaultPreset = RulePreset.epsilonPlusFlat

    /// - Parameters:
    ///   - classes: ImageNet indices to keep (order = `classIDs`).
    ///   - select: which of the default methods to run.
    public init(modelURL: URL, classes: [Int], classIDs: [String], classNames: [String], cutoffStride: Int = 4,
                batchSize: Int = 16, select: (FaithfulnessMethod) -> Bool) throws {
        guard cutoffStride >= 1 else { throw LRPError("cut-off stride must be at least 1 (got \(cutoffStride))") }
        let (graph, _) = try ModelLoading.load(modelURL, size: nil, classes: classes)
        self.graph = graph
        self.classIDs = classIDs
        self.classNames = classNames
        modelName = modelURL.lastPathComponent
        let shape = graph.inputShape
        guard shape.count == 3, shape[0] == 3 else {
            throw LRPError("\(modelURL.path): the CNN must take RGB pictures [3, H, W], got \(shape)")
        }
        preprocessing = Preprocessing(preset: .imagenet, height: shape[1], width: shape[2], fit: .resize)
        space = InputSpace(width: shape[2], height: shape[1], channels: 3, interleaved: false,
                           noiseLow: preprocessing.zBoxLow, noiseHigh: preprocessing.zBoxHigh,
                           description: "the network input: the picture resized to \(shape[2])×\(shape[1]), ImageNet-normalised; noise uniform per channel over pixel values 0…255 mapped through the normalisation")
        let m = graph.mappingLayerCount
        var all: [FaithfulnessMethod] = stride(from: 0, through: m, by: cutoffStride).map {
            FaithfulnessMethod.cnn(preset: Self.defaultPreset.rawValue, cutoff: $0)
        }
        for p in RulePreset.allCases where p != Self.defaultPreset { all.append(.cnn(preset: p.rawValue, cutoff: 0)) }
        all += [.random(.cnn), .centre(.cnn)]
        methods = all.filter(select)
        var explainers: [RulePreset: Explainer] = [:]
        for p in Set(methods.compactMap { $0.preset }) {
            guard let preset = RulePreset(rawValue: p) else { continue }
            explainers[preset] = try Explainer(graph: graph, plan: RulePlan(preset: preset, zBoxLow: preprocessing.zBoxLow,
                                                                              zBoxHigh: preprocessing.zBoxHigh))
        }
        self.explainers = explainers
        scorer = try ForwardModel(graph: graph)
        self.batchSize = batchSize
    }

    /// Explains and perturbs one image.
    public func evaluate(_ url: URL, image: Int, settings: PerturbationSettings, grid: RegionGrid) throws -> FamilyImageResult {
        let input = try InputPreparation.image(url, graph: graph, preprocessing: preprocessing)
        let (h, w) = (space.height, space.width)
        let x = NDArray(shape: [1] + graph.inputShape, data: input.tensor)
        let start = Date()
        // target: the top logit among the kept classes
        let logits = try scorer.logits(x).data
        let target = logits.indices.max { logits[$0] < logits[$1] }!
        var maps: [String: [Float]] = [:]
        for (preset, explainer) in explainers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let ks = methods.filter { $0.preset == preset.rawValue }.compactMap(\.cutoff)
            let pass = try explainer.forward(x)
            let rel = try explainer.explain(pass, targets: [target], cutoffs: ks)
            for (k, r) in zip(ks, rel) {
                maps[FaithfulnessMethod.cnn(preset: preset.rawValue, cutoff: k).id] =
                    CurveEvaluation.channelSum(r.data, channels: 3, height: h, width: w)
            }
        }
        let explainSeconds = Date().timeIntervalSince(start)
        var regionScores: [(id: String, scores: [Double])] = []
        for m in methods {
            switch m.kind {
            case .lrp: regionScores.append((m.id, try grid.sums(maps[m.id]!)))
            case .random: regionScores.append((m.id, BaselineMaps.random(regions: grid.count, seed: settings.seed, image: image, family: .cnn)))
            case .centrePrior: regionScores.append((m.id, try grid.sums(BaselineMaps.centrePrior(width: w, height: h))))
            }
        }
        let per = space.valueCount
        let model = BatchPerturbationModel(space: space, batchSize: batchSize) { [scorer, graph] inputs in
            var data: [Float] = []
            data.reserveCapacity(inputs.count * per)
            for i in inputs { data.append(contentsOf: i) }
            let out = try scorer.logits(NDArray(shape: [inputs.count] + graph.inputShape, data: data))
            let k = out.shape.last ?? 0
            return (0..<inputs.count).map { out.data[$0 * k + target] }
        }
        let curves = try CurveEvaluation.curves(model: model, original: input.tensor, regionScores: regionScores, grid: grid,
                                                noise: RegionNoise(seed: settings.seed, image: image), settings: settings)
        return FamilyImageResult(family: .cnn, targetIndex: target, targetClass: classIDs[target], targetName: classNames[target],
                                 score: Double(logits[target]), curves: curves, explainSeconds: explainSeconds,
                                 rescoreSeconds: model.scoringSeconds)
    }

    /// Reads the image as this family would (for checking inputs before any work).
    public func check(_ url: URL) throws {
        _ = try InputPreparation.image(url, graph: graph, preprocessing: preprocessing)
    }
}
