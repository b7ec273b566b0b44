import ArgumentParser
import CLISupport
import CNNRelevance
import Comparison
import Foundation
import LRPCore

/// `lrp-compare figure` (docs/DESIGN.md §10.1): per photo one Figure-1 PNG (CNN row, FV row;
/// input, fine map, coarse map, input with the coarse map as alpha) and a JSON of what it shows.
///
/// Photos are independent: a bad one gives one `error: <path>: <reason>` line and the others
/// go on; the count line follows and the exit status is 1 if any failed (docs/DESIGN.md §7.1).
struct FigureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Figure-1 panels: both models, fine and coarse maps, on the photograph's geometry.",
        discussion: """
            Both rows explain the same class: the FV model's prediction, or --class. The CNN is restricted \
            to the FV model's classes (matched by name in its labels, or --classes). Without --cutoff the \
            CNN's coarse map uses the K whose receptive field is closest to the FV descriptor support, \
            measured in photo pixels (printed on stderr). Writes <stem>.figure1.png and <stem>.figure1.json.
            """)

    @Argument(help: "JPEG or PNG photos.")
    var images: [String] = []

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(name: .customLong("cnn-model"), help: "ONNX model (default: the bundled Models/mobilenet_v2.onnx).")
    var cnnModel: String?

    @Option(help: "Class names of the CNN, one per line (default: the bundled ImageNet list for 1000-class models).")
    var labels: String?

    @Option(name: .customLong("fv-model"), help: "Fisher-vector model (default: the bundled Models/fisher_imagenette.safetensors).")
    var fvModel: String?

    @Option(help: "The CNN's class index for each FV class, in FV class order, e.g. 0,217,482,... (default: matched by name).")
    var classes: String?

    @Option(name: .customLong("class"), help: "Class to explain: FV class name, WordNet id or index (default: the FV model's prediction).")
    var className: String?

    @Option(parsing: .unconditional, help: "CNN cut-off K of the coarse map (default: receptive field closest to the FV descriptor support).")
    var cutoff: Int?

    @Option(help: "Rule preset: epsilon, alpha2beta1, epsilon-plus-flat, epsilon-alpha2beta1-flat.")
    var preset: String = RulePreset.epsilonPlusFlat.rawValue

    @Option(parsing: .unconditional, help: "Epsilon of the epsilon rule.")
    var epsilon: Float?

    @Option(name: .customLong("first-layer"), help: "Rule for the first conv layer: flat, wsquare or zbox.")
    var firstLayer: String?

    @Option(help: "CNN input preprocessing: imagenet or caffe.")
    var preprocess: String = PreprocessPreset.imagenet.rawValue

    @Option(help: "Fitting the photo to the CNN input: none (resize) or center (resize the shorter side, centre crop).")
    var crop: String = "none"

    @Option(help: "CNN input height and width (default: the model's, or 224 when it is dynamic).")
    var size: Int?

    @Option(name: .customLong("panel-size"), help: "Longer side of each panel in pixels.")
    var panelSize: Int = 300

    @Option(help: "Heatmap colours: lrp or bwr.")
    var colormap: Colormap = .lrp

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("no input: give photo files") }
        guard !out.isEmpty else { throw ValidationError("--out needs a folder name") }
        _ = try parsedOptions()
    }

    /// The option values as library types; a bad value is one error naming the flag.
    private func parsedOptions() throws -> ModelPairOptions {
        func choice<T: RawRepresentable>(_ text: String, _ flag: String, _ all: [T]) throws -> T where T.RawValue == String {
            guard let v = all.first(where: { $0.rawValue == text }) else {
                throw LRPError("\(flag) must be one of \(all.map(\.rawValue).joined(separator: ", ")) (got '\(text)')")
            }
            return v
        }
        guard crop == "none" || crop == "center" else { throw LRPError("--crop must be none or center (got '\(crop)')") }
        let classList = try classes.map { text in
            try OptionErrors.naming(["the class list": "--classes"]) { try ModelLoading.parseClasses(text) }
        }
        if let size, size < 1 || size > 4096 { throw LRPError("--size must be between 1 and 4096 (got \(size))") }
        return ModelPairOptions(
            cnnModel: cnnModel.map { URL(fileURLWithPath: $0) }, labels: labels.map { URL(fileURLWithPath: $0) },
            fvModel: fvModel.map { URL(fileURLWithPath: $0) }, classes: classList,
            preprocess: try choice(preprocess, "--preprocess", PreprocessPreset.allCases),
            fit: crop == "center" ? .center : .resize, size: size,
            preset: try choice(preset, "--preset", RulePreset.allCases), epsilon: epsilon,
            firstLayer: try firstLayer.map { try choice($0, "--first-layer", FirstLayerRule.allCases) })
    }

    func run() throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir), !isDir.boolValue {
            throw LRPError("--out \(out) exists and is not a directory")
        }
        Stderr.line("loading the models ...")
        let pair = try OptionErrors.naming(["the class list": "--classes", "an input size": "--size"]) {
            try ModelPair(parsedOptions())
        }
        let outDir = URL(fileURLWithPath: out)
        let run = try OptionErrors.naming(["cut-off": "--cutoff", "panel size": "--panel-size"]) {
            try FigureRun(pair: pair, settings: FigureSettings(cutoff: cutoff, target: className, panelSide: panelSize,
                                                               colormap: colormap, outputDirectory: outDir))
        }
        var taken = Set<String>()
        var written = 0, failed = 0
        for (i, path) in images.enumerated() {
            let url = URL(fileURLWithPath: path)
            let stem = ExplanationFiles.stem(for: url, taken: &taken)
            Stderr.line("[\(i + 1)/\(images.count)] \(path): explaining with both models ...")
            do {
                let r = try run.write(url, stem: stem)
                let m = r.match
                Stderr.line(String(format: "  cut-off K = %d%@: CNN receptive field %.1f input px = %.1f photo px; FV descriptor support %.1f working px = %.1f photo px",
                                   r.cutoff, cutoff == nil ? " (closest)" : " (--cutoff; closest would be \(m.k))",
                                   m.receptiveFieldInput, m.receptiveFieldPhoto, m.descriptorSupportWorking, m.descriptorSupportPhoto))
                print(String(format: "%@: class %@, CNN logit %.4g, FV score %.4g, K = %d -> %@", path, r.className, r.cnnLogit,
                             r.fvScore, r.cutoff, r.files.map(\.path).joined(separator: ", ")))
                written += 1
            } catch {
                // The library names the absolute path; show the path as the user gave it.
                var message = error.userMessage
                if message.hasPrefix(url.path + ": ") { message = String(message.dropFirst(url.path.count + 2)) }
                Stderr.error("\(path): \(message)")
                failed += 1
            }
        }
        print("wrote \(written) figure\(written == 1 ? "" : "s") to \(outDir.path); \(failed) of \(images.count) image\(images.count == 1 ? "" : "s") failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
