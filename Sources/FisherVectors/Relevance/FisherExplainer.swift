import Foundation
import LRPCore

/// The two decomposition depths of docs/DESIGN.md §4.
public enum FisherResolution: String, Sendable, CaseIterable {
    /// Cut-off at the descriptors: R_l spread over each descriptor's 4×4-bin support.
    case descriptor
    /// No cut-off: back through the PCA to the SIFT bins, each bin spread over its b×b pixels.
    case bin
}

/// One explained image: scores, the relevance at every stage and the pixel maps.
public struct FisherExplanation: Sendable {
    public var relevance: FisherRelevance
    public var descriptorCount: Int
    public var width: Int
    public var height: Int
    /// H×W maps per requested resolution.
    public var maps: [FisherResolution: NDArray]
    public var epsilon: Float
    public var pcaEpsilon: Float

    /// Σ of a map (double accumulation).
    public static func sum(_ map: NDArray) -> Double { map.data.reduce(0.0) { $0 + Double($1) } }

    /// The JSON summary for one resolution (`ExplanationFiles`' `.json`).
    public func summary(model: FisherVectorModel, resolution: FisherResolution, input: String) -> [String: Any] {
        let r = relevance
        let predicted = r.scores.indices.max { r.scores[$0] < r.scores[$1] }!
        var stages: [String: Any] = [
            "R4_score": Double(r.score),
            "bias_not_spread": Double(r.bias),
            "R3_fisher_dimensions": r.fisherTotal,
            "R2_descriptors": r.descriptorTotal,
        ]
        if resolution == .bin, let s = r.siftTotal { stages["R1_sift_dimensions"] = s }
        if let map = maps[resolution] { stages["map"] = Self.sum(map) }
        var scoreTable: [String: Any] = [:]
        for (i, id) in model.classes.enumerated() { scoreTable[id] = Double(r.scores[i]) }
        return [
            "input": input,
            "model": "fisher-vector",
            "resolution": resolution.rawValue,
            "width": width, "height": height,
            "descriptors": descriptorCount,
            "prediction": ["index": predicted, "class": model.classes[predicted], "name": model.classNames[predicted],
                           "score": Double(r.scores[predicted])] as [String: Any],
            "target": ["index": r.target, "class": model.classes[r.target], "name": model.classNames[r.target]] as [String: Any],
            "score": Double(r.score),
            "scores": scoreTable,
            "epsilon": Double(epsilon),
            "pcaEpsilon": Double(pcaEpsilon),
            "relevanceSums": stages,
            "relevanceSum": maps[resolution].map(Self.sum) ?? 0,
        ]
    }
}

/// Image → encoding → relevance → pixel maps, for the requested resolutions.
public enum FisherExplainer {
    public static func explain(model: FisherVectorModel, image: Image, target: Int?, resolutions: Set<FisherResolution>,
                               epsilon: Float = 100, pcaEpsilon: Float = 100) throws -> FisherExplanation {
        let encoding = try ImageEncoder(model: model).encode(image)
        let relevance = try FisherRelevance.compute(model: model, encoding: encoding, target: target, epsilon: epsilon,
                                                    pcaEpsilon: resolutions.contains(.bin) ? pcaEpsilon : nil)
        var maps: [FisherResolution: NDArray] = [:]
        let frames = encoding.sift.frames
        if resolutions.contains(.descriptor) {
            maps[.descriptor] = RelevanceSpreading.descriptorMap(frames: frames, relevance: relevance.perDescriptor,
                                                                 count: encoding.count, width: image.width, height: image.height)
        }
        if resolutions.contains(.bin), let bins = relevance.perBin {
            maps[.bin] = RelevanceSpreading.binMap(frames: frames, binRelevance: bins, count: encoding.count,
                                                   width: image.width, height: image.height)
        }
        return FisherExplanation(relevance: relevance, descriptorCount: encoding.count, width: image.width,
                                 height: image.height, maps: maps, epsilon: epsilon, pcaEpsilon: pcaEpsilon)
    }
}
