import Foundation

/// Everything a faithfulness run measured (docs/DESIGN.md §10.2). Written as `faithfulness.json`;
/// the HTML report reads this type. Fields are only ever added (`formatVersion` 1).
public struct FaithfulnessResult: Sendable, Codable {
    public var formatVersion = 1
    public var settings: PerturbationSettings
    /// The steps k at which f(x⁽ᵏ⁾) was computed (the points of every curve).
    public var scoredSteps: [Int]
    /// Per family: model, input space, region grid, how the target was chosen.
    public var families: [FamilyInfo]
    /// Per method (in the order of the table): aggregated metrics and mean curves.
    public var methods: [MethodResult]
    /// Per image: targets, f(x⁽⁰⁾) and every curve.
    public var images: [ImageResult]
    /// The stated conclusion per family, computed from the numbers.
    public var conclusions: [FamilyConclusion]
    public var timing: TimingReport

    public init(settings: PerturbationSettings, families: [FamilyInfo], methods: [MethodResult], images: [ImageResult],
                conclusions: [FamilyConclusion], timing: TimingReport) {
        self.settings = settings
        scoredSteps = settings.scoredSteps
        self.families = families
        self.methods = methods
        self.images = images
        self.conclusions = conclusions
        self.timing = timing
    }

    public func method(_ id: String) -> MethodResult? { methods.first { $0.method.id == id } }
}

public struct FamilyInfo: Sendable, Codable, Equatable {
    public var family: ModelFamily
    public var model: String
    public var inputSpace: InputSpace
    public var regionColumns: Int
    public var regionRows: Int
    /// e.g. "the CNN's top logit among the FV model's 10 classes".
    public var target: String
    /// e.g. "CNN logit restricted to the 10 classes".
    public var score: String

    public init(family: ModelFamily, model: String, inputSpace: InputSpace, regionColumns: Int, regionRows: Int,
                target: String, score: String) {
        self.family = family
        self.model = model
        self.inputSpace = inputSpace
        self.regionColumns = regionColumns
        self.regionRows = regionRows
        self.target = target
        self.score = score
    }
}

public struct MethodResult: Sendable, Codable, Equatable {
    public var method: FaithfulnessMethod
    public var aopcMoRF: Estimate
    public var aopcLeRF: Estimate
    public var abpc: Estimate
    /// Mean over images of f(x⁽⁰⁾) − f(x⁽ᵏ⁾) at each scored step.
    public var meanDropMoRF: [Double]
    public var meanDropLeRF: [Double]

    public init(method: FaithfulnessMethod, aopcMoRF: Estimate, aopcLeRF: Estimate, abpc: Estimate,
                meanDropMoRF: [Double], meanDropLeRF: [Double]) {
        self.method = method
        self.aopcMoRF = aopcMoRF
        self.aopcLeRF = aopcLeRF
        self.abpc = abpc
        self.meanDropMoRF = meanDropMoRF
        self.meanDropLeRF = meanDropLeRF
    }
}

public struct CurveResult: Sendable, Codable, Equatable {
    public var methodID: String
    /// f(x⁽ᵏ⁾) at the scored steps, MoRF and LeRF (first value f(x⁽⁰⁾)).
    public var morf: [Double]
    public var lerf: [Double]
    public var aopcMoRF: Double
    public var aopcLeRF: Double
    public var abpc: Double

    public init(methodID: String, morf: [Double], lerf: [Double]) {
        self.methodID = methodID
        self.morf = morf
        self.lerf = lerf
        aopcMoRF = AOPC.of(morf)
        aopcLeRF = AOPC.of(lerf)
        abpc = aopcMoRF - aopcLeRF
    }
}

public struct FamilyImageResult: Sendable, Codable, Equatable {
    public var family: ModelFamily
    /// Explained class: index among the family's outputs, class id and name.
    public var targetIndex: Int
    public var targetClass: String
    public var targetName: String
    /// f(x⁽⁰⁾).
    public var score: Double
    public var curves: [CurveResult]
    /// Wall-clock seconds.
    public var explainSeconds: Double
    public var rescoreSeconds: Double
    /// CPU seconds (all threads of the process).
    public var explainCPUSeconds: Double = 0
    public var rescoreCPUSeconds: Double = 0

    public init(family: ModelFamily, targetIndex: Int, targetClass: String, targetName: String, score: Double,
                curves: [CurveResult], explainSeconds: Double, rescoreSeconds: Double) {
        self.family = family
        self.targetIndex = targetIndex
        self.targetClass = targetClass
        self.targetName = targetName
        self.score = score
        self.curves = curves
        self.explainSeconds = explainSeconds
        self.rescoreSeconds = rescoreSeconds
    }
}

public struct ImageResult: Sendable, Codable, Equatable {
    public var path: String
    /// Dataset label (class folder) when known.
    public var label: String?
    public var families: [FamilyImageResult]

    public init(path: String, label: String?, families: [FamilyImageResult]) {
        self.path = path
        self.label = label
        self.families = families
    }
}

/// Which depth of a family is most faithful, and by what margin (docs/DESIGN.md §10.2).
public struct FamilyConclusion: Sendable, Codable, Equatable {
    public var family: ModelFamily
    /// Method with the highest mean ABPC among the family's LRP methods.
    public var best: String?
    public var bestABPC: Estimate?
    /// Paired (same images) bootstrap of ABPC(best) − ABPC(baseline).
    public var marginOverRandom: Estimate?
    public var marginOverCentre: Estimate?
    /// LRP methods whose ABPC is not above both baselines (the 95% interval of the paired
    /// difference does not lie above 0 for at least one baseline).
    public var notAboveBaselines: [String]
    /// The conclusion in words.
    public var statement: String

    public init(family: ModelFamily, best: String?, bestABPC: Estimate?, marginOverRandom: Estimate?,
                marginOverCentre: Estimate?, notAboveBaselines: [String], statement: String) {
        self.family = family
        self.best = best
        self.bestABPC = bestABPC
        self.marginOverRandom = marginOverRandom
        self.marginOverCentre = marginOverCentre
        self.notAboveBaselines = notAboveBaselines
        self.statement = statement
    }
}

/// Where the time went (docs/DESIGN.md §10.2).
public struct TimingReport: Sendable, Codable, Equatable {
    public var images: Int
    public var totalSeconds: Double
    /// Per family ("cnn", "fv"): computing the relevance maps / re-scoring perturbed inputs,
    /// wall-clock seconds.
    public var explainSeconds: [String: Double]
    public var rescoreSeconds: [String: Double]
    /// The same in CPU seconds (all threads): what the run costs on a machine it has to itself.
    public var explainCPUSeconds: [String: Double] = [:]
    public var rescoreCPUSeconds: [String: Double] = [:]
    /// CPU seconds of the whole run and per image; the projection for 100 images on
    /// `workers` cores assumes they are kept busy (CPU seconds ÷ workers).
    public var cpuSeconds: Double = 0
    public var cpuSecondsPerImage: Double = 0
    public var projected100ImagesCPUBoundSeconds: Double = 0
    /// Model re-scorings per family (perturbed inputs scored).
    public var rescorings: [String: Int]
    public var fvIncremental: IncrementalReport?
    /// Measured seconds per image and the projection to 100 images.
    public var secondsPerImage: Double
    public var projected100ImagesSeconds: Double
    public var workers: Int

    public init(images: Int, totalSeconds: Double, explainSeconds: [String: Double], rescoreSeconds: [String: Double],
                rescorings: [String: Int], fvIncremental: IncrementalReport?, secondsPerImage: Double,
                projected100ImagesSeconds: Double, workers: Int) {
        self.images = images
        self.totalSeconds = totalSeconds
        self.explainSeconds = explainSeconds
        self.rescoreSeconds = rescoreSeconds
        self.rescorings = rescorings
        self.fvIncremental = fvIncremental
        self.secondsPerImage = secondsPerImage
        self.projected100ImagesSeconds = projected100ImagesSeconds
        self.workers = workers
    }
}

/// How much the incremental FV re-scoring saves against encoding every perturbed image.
public struct IncrementalReport: Sendable, Codable, Equatable {
    /// Descriptors of an image (mean over images).
    public var descriptorsPerImage: Double
    /// Descriptors SIFT was recomputed for / found changed, per re-scoring (mean).
    public var recomputedPerRescore: Double
    public var changedPerRescore: Double
    /// One full encoding + scoring of an image, CPU seconds of one thread (mean over images).
    public var fullRescoreSeconds: Double
    /// One incremental re-scoring, CPU seconds of one thread (mean).
    public var incrementalRescoreSeconds: Double
    /// fullRescoreSeconds / incrementalRescoreSeconds.
    public var speedup: Double

    public init(descriptorsPerImage: Double, recomputedPerRescore: Double, changedPerRescore: Double,
                fullRescoreSeconds: Double, incrementalRescoreSeconds: Double, speedup: Double) {
        self.descriptorsPerImage = descriptorsPerImage
        self.recomputedPerRescore = recomputedPerRescore
        self.changedPerRescore = changedPerRescore
        self.fullRescoreSeconds = fullRescoreSeconds
        self.incrementalRescoreSeconds = incrementalRescoreSeconds
        self.speedup = speedup
    }
}
