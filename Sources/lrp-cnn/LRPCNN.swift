import ArgumentParser
import CLISupport
import CNNRelevance
import Foundation
import LRPCore

struct LRPCNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lrp-cnn",
        abstract: "Layer-wise relevance propagation heatmaps for CNNs (ONNX models), with a chosen cut-off.",
        discussion: """
            Without --model the bundled ImageNet MobileNetV2 is used: Models/mobilenet_v2.onnx and \
            Models/imagenet_classes.txt, looked up in $LRP_MODELS, ./Models, then Models/ above the executable.
            """,
        subcommands: [Explain.self, Layers.self, Predict.self, Evaluate.self, Merge.self],
        defaultSubcommand: nil
    )
}

extension RulePreset: ExpressibleByArgument {}
extension FirstLayerRule: ExpressibleByArgument {}
extension MaxPoolRule: ExpressibleByArgument {}
extension PreprocessPreset: ExpressibleByArgument {}

/// How a picture is fitted to the input (`--crop`).
enum CropChoice: String, CaseIterable, ExpressibleByArgument {
    case none, center
    var fit: ImageFit { self == .center ? .center : .resize }
}

/// Options every subcommand shares: which model, its input and its classes.
struct ModelOptions: ParsableArguments {
    @Option(help: "ONNX model file (default: the bundled Models/mobilenet_v2.onnx).")
    var model: String?

    @Option(help: "Class names, one per line in class order (default: the bundled ImageNet list for 1000-class models).")
    var labels: String?

    @Option(parsing: .unconditional, help: "Keep only these model outputs, e.g. 0,217,482 (original class indices, in this order).")
    var classes: String?

    @Option(help: "Input preprocessing: imagenet (RGB, mean/std) or caffe (BGR, 0..255, mean subtraction).")
    var preprocess: PreprocessPreset = .imagenet

    @Option(parsing: .unconditional, help: "Input height and width (default: the model's, or 224 when it is dynamic).")
    var size: Int?

    @Option(help: "Fitting the picture to the input: none (resize to size x size) or center (resize the shorter side to size*256/224, centre crop).")
    var crop: CropChoice = .none

    func validate() throws {
        if let classes {
            _ = try OptionErrors.validating { try OptionErrors.naming(Self.classFlags) { try ModelLoading.parseClasses(classes) } }
        }
        try OptionRange.path("--model", model)
        try OptionRange.path("--labels", labels)
        if let size { try OptionRange.check("--size", size, atLeast: 1, atMost: 4096) }
    }

    /// The library's names for the values of these options.
    static let classFlags: KeyValuePairs<String, String> = ["the class list": "--classes"]

    static let bundledModel = "mobilenet_v2.onnx"
    static let bundledLabels = "imagenet_classes.txt"

    /// A model ready for a subcommand: the (possibly restricted) graph and its label names.
    struct Loaded {
        var graph: Graph
        var url: URL
        var labels: ClassLabels?
    }

    /// Loads the model (--model or the bundled one), restricts it to --classes, and finds its
    /// labels: --labels, else the bundled ImageNet list for the bundled model or any other
    /// 1000-class model, else none (classes are shown as "class i").
    func load() throws -> Loaded {
        let url = try ModelArgument.resolve(model, bundled: Self.bundledModel)
        let (graph, modelClasses) = try OptionErrors.naming(["the class list": "--classes", "an input size": "--size"]) {
            try ModelLoading.load(url, size: size, classes: try classes.map(ModelLoading.parseClasses))
        }
        var names: ClassLabels?
        if let labels {
            let l = try ClassLabels.load(URL(fileURLWithPath: labels))
            guard l.names.count == modelClasses else {
                throw LRPError("\(labels) has \(l.names.count) labels but the model has \(modelClasses) classes")
            }
            names = l
        } else if model == nil || modelClasses == 1000, let bundled = try? ModelLocator.bundled(Self.bundledLabels) {
            // A bundled list that does not parse is a broken installation, not "no names".
            let l = try ClassLabels.load(bundled)
            if l.names.count == modelClasses { names = l }
        }
        return Loaded(graph: graph, url: url, labels: names)
    }

    func preprocessing(for graph: Graph) -> Preprocessing {
        Preprocessing(preset: preprocess, height: graph.inputShape[1], width: graph.inputShape[2], fit: crop.fit)
    }
}

/// `--input-npy` and positional pictures, in the order given (pictures first).
func inputSources(images: [String], npy: [String]) -> [InputSource] {
    images.map { .image(URL(fileURLWithPath: $0)) } + npy.map { .npy(URL(fileURLWithPath: $0)) }
}
