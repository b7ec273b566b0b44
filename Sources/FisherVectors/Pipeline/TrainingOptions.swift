import Foundation

/// Everything `FisherVectorTrainer` needs besides the data.
public struct TrainingOptions: Sendable {
    public var features = FeatureOptions()
    public var pcaDimension = 80
    public var gmm = GMMTrainingOptions()
    public var svm = SVMOptions()
    /// Descriptors sampled (over all sampling images) to fit the PCA and the GMM.
    public var descriptorSample = 300_000
    /// At most this many images (spread over the classes at random) give the sample.
    public var sampleImages = 1_000
    /// Use at most this many images of each class (nil: all).
    public var maxImagesPerClass: Int?
    /// Where the float16 training vectors are memory-mapped; nil keeps them in anonymous memory.
    public var scratchDirectory: URL? = FileManager.default.temporaryDirectory
    public var seed: UInt64 = 1

    public init() {}
}

/// What training did, for the report.
public struct TrainingSummary: Sendable {
    public init() {}
    public var imagesUsed = 0
    /// Images that could not be used, one line each ("<path>: <reason>").
    public var skippedImages: [String] = []
    /// Dataset-level problems (e.g. empty class folders) that were skipped.
    public var datasetWarnings: [String] = []
    public var descriptorsSampled = 0
    public var pcaRetainedVariance = 0.0
    public var gmm: GMMTrainingSummary?
    public var svm: SVMTrainingSummary?
    /// Wall-clock seconds per stage, in order.
    public var stageSeconds: [(String, Double)] = []
    /// Bytes of float16 training vectors.
    public var vectorBytes = 0
}
