import Foundation
import LRPCore

/// A trained Fisher-vector classifier: feature extraction settings, PCA, GMM vocabulary and
/// one-vs-rest linear SVMs over the concatenated per-cell improved Fisher vectors.
public struct FisherVectorModel: Sendable, Equatable {
    /// Class identifiers (folder names / VOC class names), in score order.
    public var classes: [String]
    /// Display names, same order.
    public var classNames: [String]
    public var features: FeatureOptions
    public var pca: PCA
    public var gmm: GMMParameters
    public var svms: LinearSVMs
    /// The command line that trained the model (provenance; free text).
    public var trainingCommand: String

    public init(classes: [String], classNames: [String], features: FeatureOptions, pca: PCA, gmm: GMMParameters,
                svms: LinearSVMs, trainingCommand: String = "") throws {
        self.classes = classes
        self.classNames = classNames
        self.features = features
        self.pca = pca
        self.gmm = gmm
        self.svms = svms
        self.trainingCommand = trainingCommand
        try validate()
    }

    /// Length of the full Fisher vector: cells × 2·K·D.
    public var fisherLength: Int { features.cellCount * gmm.fisherLength }

    /// Throws unless the parts fit together.
    public func validate() throws {
        try features.validate()
        try gmm.validate()
        guard !classes.isEmpty, classNames.count == classes.count else { throw LRPError("model: class list is empty or inconsistent") }
        guard pca.inputDimension == 128 else { throw LRPError("model: PCA input must be 128-D SIFT, got \(pca.inputDimension)") }
        guard pca.outputDimension == gmm.dimension else {
            throw LRPError("model: PCA gives \(pca.outputDimension)-D descriptors but the GMM is \(gmm.dimension)-D")
        }
        guard svms.classCount == classes.count, svms.dimension == fisherLength else {
            throw LRPError("model: SVMs are \(svms.classCount)×\(svms.dimension), expected \(classes.count)×\(fisherLength)")
        }
    }

    /// Index of a class given as an index, identifier or display name (case-insensitive).
    public func classIndex(_ text: String) -> Int? {
        if let i = Int(text), i >= 0, i < classes.count { return i }
        let lower = text.lowercased()
        return classes.firstIndex { $0.lowercased() == lower } ?? classNames.firstIndex { $0.lowercased() == lower }
    }
}
