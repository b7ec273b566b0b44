import CNNRelevance
import FisherVectors
import Foundation
import LRPCore

/// What to load for a comparison (docs/DESIGN.md §10.1). Every field has the toolkit's default,
/// so `ModelPairOptions()` gives the bundled MobileNetV2 and Imagenette FV model.
public struct ModelPairOptions: Sendable {
    /// ONNX file; nil: the bundled `Models/mobilenet_v2.onnx` (`ModelLocator`).
    public var cnnModel: URL?
    /// Class names of the CNN, one per line; nil: the bundled ImageNet list for 1000-class models.
    public var labels: URL?
    /// FV model file; nil: the bundled `Models/fisher_imagenette.safetensors`.
    public var fvModel: URL?
    /// The CNN's class index for each FV class, in FV class order (`--classes`); nil: found by
    /// matching the FV class names (and ids) against the CNN's labels.
    public var classes: [Int]?
    public var preprocess: PreprocessPreset
    /// `.resize` (`--crop none`, the lrp-cnn default) or `.center`.
    public var fit: ImageFit
    /// CNN input size; nil: the model's (224 when dynamic).
    public var size: Int?
    /// Rule preset and parameters of the CNN explanations (as `lrp-cnn explain`).
    public var preset: RulePreset
    public var epsilon: Float?
    public var firstLayer: FirstLayerRule?
    /// ε and ε' of the FV explanation (docs/DESIGN.md §4.1).
    public var fvEpsilon: Float
    public var fvPCAEpsilon: Float

    public init(cnnModel: URL? = nil, labels: URL? = nil, fvModel: URL? = nil, classes: [Int]? = nil,
                preprocess: PreprocessPreset = .imagenet, fit: ImageFit = .resize, size: Int? = nil,
                preset: RulePreset = .epsilonPlusFlat, epsilon: Float? = nil, firstLayer: FirstLayerRule? = nil,
                fvEpsilon: Float = 100, fvPCAEpsilon: Float = 100) {
        self.cnnModel = cnnModel
        self.labels = labels
        self.fvModel = fvModel
        self.classes = classes
        self.preprocess = preprocess
        self.fit = fit
        self.size = size
        self.preset = preset
        self.epsilon = epsilon
        self.firstLayer = firstLayer
        self.fvEpsilon = fvEpsilon
        self.fvPCAEpsilon = fvPCAEpsilon
    }

    public static let bundledCNN = "mobilenet_v2.onnx"
    public static let bundledLabels = "imagenet_classes.txt"
    public static let bundledFV = "fisher_imagenette.safetensors"
}

/// The CNN and the Fisher-vector model loaded side by side, explaining the **same classes**
/// (docs/DESIGN.md §10.1): the CNN's outputs are restricted (`Graph.restrictingOutputs`, the
/// `--classes` mechanism) to the FV model's classes in FV order, so output index `c` of the
/// CNN and class index `c` of the FV model are the same class.
///
/// Built once; `explain…` keep no state and may be called from several threads.
public final class ModelPair: @unchecked Sendable {
    public let options: ModelPairOptions
    public let cnnURL: URL
    public let fvURL: URL
    /// The CNN restricted to the FV classes (`graph.outputClasses` holds its own indices).
    public let graph: Graph
    /// The CNN's labels (all its classes), if known.
    public let labels: ClassLabels?
    public let fvModel: FisherVectorModel
    /// The CNN's class index for each FV class.
    public let cnnClasses: [Int]
    public let preprocessing: Preprocessing
    public let plan: RulePlan
    /// Runs the restricted CNN forward and backward (`Explainer`, docs/DESIGN.md §2).
    public let explainer: Explainer

    /// Loads both models and restricts the CNN to the FV classes.
    /// - Throws: `LRPError` for a missing or corrupt model, an FV class the CNN's labels do not
    ///   know (one message naming it), a class list of the wrong length, or an impossible plan.
    public init(_ options: ModelPairOptions = ModelPairOptions()) throws {
        self.options = options
        cnnURL = try options.cnnModel ?? ModelLocator.bundled(ModelPairOptions.bundledCNN)
        fvURL = try options.fvModel ?? ModelLocator.bundled(ModelPairOptions.bundledFV)
        fvModel = try ModelFile.read(fvURL)

        // Load unrestricted once to learn the class count and labels, then restrict.
        let (full, modelClasses) = try ModelLoading.load(cnnURL, size: options.size, classes: nil)
        labels = try Self.loadLabels(options.labels, modelClasses: modelClasses, bundledModel: options.cnnModel == nil)
        if let given = options.classes {
            guard given.count == fvModel.classes.count else {
                throw LRPError("the class list has \(given.count) CNN classes but the FV model has \(fvModel.classes.count) (one per FV class, in FV order: \(fvModel.classNames.joined(separator: ", ")))")
            }
            cnnClasses = given
        } else {
            cnnClasses = try Self.matchClasses(fv: fvModel, labels: labels, cnnURL: cnnURL)
        }
        graph = try full.restrictingOutputs(to: cnnClasses)
        preprocessing = Preprocessing(preset: options.preprocess, height: graph.inputShape[1],
                                      width: graph.inputShape[2], fit: options.fit)
        plan = try Self.rulePlan(options, preprocessing: preprocessing)
        explainer = try Explainer(graph: graph, plan: plan)
    }

    /// Number of CNN cut-offs: K runs over `0...mappingLayerCount`.
    public var mappingLayerCount: Int { graph.mappingLayerCount }

    /// Class names shown for class index `c` (the FV model's display names).
    public var classNames: [String] { fvModel.classNames }

    /// The class index (FV order = restricted CNN output order) of a name, WordNet id or index.
    public func classIndex(_ text: String) -> Int? { fvModel.classIndex(text) }

    /// The default cut-off for a photo of this size (docs/DESIGN.md §10.1, `CutoffMatch`).
    public func defaultCutoff(photoWidth: Int, photoHeight: Int) -> CutoffMatch {
        let cnn = PhotoGeometry.cnn(photoWidth: photoWidth, photoHeight: photoHeight, preprocessing: preprocessing)
        let fv = PhotoGeometry.fisher(photoWidth: photoWidth, photoHeight: photoHeight)
        return CutoffMatch.closest(graph: graph, cnnScale: cnn.meanScale, fvScale: fv.meanScale,
                                   binSizes: fvModel.features.binSizes)
    }

    /// A short description of the rule plan for captions, e.g. "epsilon-plus-flat".
    public var planDescription: String {
        var s = plan.preset.rawValue
        if let e = options.epsilon { s += ", ε=\(e)" }
        if let f = options.firstLayer { s += ", first layer \(f.rawValue)" }
        return s
    }

    // MARK: loading helpers

    static func loadLabels(_ url: URL?, modelClasses: Int, bundledModel: Bool) throws -> ClassLabels? {
        if let url {
            let l = try ClassLabels.load(url)
            guard l.names.count == modelClasses else {
                throw LRPError("\(url.path) has \(l.names.count) labels but the CNN has \(modelClasses) classes")
            }
            return l
        }
        guard bundledModel || modelClasses == 1000,
              let bundled = try? ModelLocator.bundled(ModelPairOptions.bundledLabels) else { return nil }
        // A bundled list that does not parse is a broken installation, not "no names".
        let l = try ClassLabels.load(bundled)
        return l.names.count == modelClasses ? l : nil
    }

    /// The CNN class of every FV class: its display name, else its id, looked up in the labels.
    static func matchClasses(fv: FisherVectorModel, labels: ClassLabels?, cnnURL: URL) throws -> [Int] {
        guard let labels else {
            throw LRPError("\(cnnURL.path): no class names are known for this CNN, so the FV classes cannot be matched to its outputs (give a label file or a class list)")
        }
        var out: [Int] = []
        var unknown: [String] = []
        for (id, name) in zip(fv.classes, fv.classNames) {
            if let i = (try? labels.index(of: name)) ?? (try? labels.index(of: id)) { out.append(i) } else { unknown.append(name) }
        }
        guard unknown.isEmpty else {
            throw LRPError("the CNN's labels do not know the FV class\(unknown.count == 1 ? "" : "es") \(unknown.map { "'\($0)'" }.joined(separator: ", ")): the CNN cannot be restricted to the FV model's classes (give a class list)")
        }
        return out
    }

    static func rulePlan(_ o: ModelPairOptions, preprocessing: Preprocessing) throws -> RulePlan {
        try RulePlan(preset: o.preset, epsilon: o.epsilon ?? 1e-6, firstLayer: o.firstLayer,
                     zBoxLow: preprocessing.zBoxLow, zBoxHigh: preprocessing.zBoxHigh)
    }
}
