import Foundation
import LRPCore

/// Reading and writing `FisherVectorModel` as a safetensors file (format described in
/// `ModelFile.md` next to this file).
public enum ModelFile {
    public static let format = "lrp-fv-model"
    public static let formatVersion = 1

    /// Storage type of the SVM weights (the largest tensor).
    public enum WeightPrecision: String, Sendable {
        case float32, float16
    }

    public static func encode(_ model: FisherVectorModel, weightPrecision: WeightPrecision = .float32) throws -> SafeTensors {
        try model.validate()
        let f = model.features
        var file = SafeTensors()
        file.tensors["pca.mean"] = .init(shape: [model.pca.inputDimension], floats: model.pca.mean)
        file.tensors["pca.projection"] = .init(shape: [model.pca.outputDimension, model.pca.inputDimension], floats: model.pca.components)
        file.tensors["pca.variances"] = .init(shape: [model.pca.outputDimension], floats: model.pca.variances)
        file.tensors["gmm.means"] = .init(shape: [model.gmm.clusters, model.gmm.dimension], floats: model.gmm.means)
        file.tensors["gmm.variances"] = .init(shape: [model.gmm.clusters, model.gmm.dimension], floats: model.gmm.covariances)
        file.tensors["gmm.priors"] = .init(shape: [model.gmm.clusters], floats: model.gmm.priors)
        let wShape = [model.svms.classCount, model.svms.dimension]
        file.tensors["svm.weights"] = weightPrecision == .float32
            ? .init(shape: wShape, floats: model.svms.weights) : .init(shape: wShape, halfFrom: model.svms.weights)
        file.tensors["svm.biases"] = .init(shape: [model.svms.classCount], floats: model.svms.biases)
        file.metadata = [
            "format": format,
            "format_version": String(formatVersion),
            "classes": try jsonList(model.classes),
            "class_names": try jsonList(model.classNames),
            "bin_sizes": f.binSizes.map(String.init).joined(separator: ","),
            "step": String(f.step),
            "fast": f.fast ? "true" : "false",
            "magnif": String(f.magnif),
            "window_size": String(f.windowSize),
            "contrast_threshold": String(f.contrastThreshold),
            "pyramid": f.pyramid.map(\.description).joined(separator: ","),
            "gmm_k": String(model.gmm.clusters),
            "pca_dims": String(model.pca.outputDimension),
            "descriptor": "dense SIFT (vl_phow grey), VLFeat MATLAB scale min(512*d,255)",
            "fisher": "improved (signed sqrt, L2) per pyramid cell, VLFeat layout: K mean blocks then K variance blocks",
            "training_command": model.trainingCommand,
        ]
        return file
    }

    public static func write(_ model: FisherVectorModel, to url: URL, weightPrecision: WeightPrecision = .float32) throws {
        try encode(model, weightPrecision: weightPrecision).write(to: url)
    }

    public static func read(_ url: URL) throws -> FisherVectorModel {
        let file = try SafeTensors.read(url)
        do { return try decode(file) } catch let e as LRPError {
            throw LRPError("model file \(url.path): \(e.message)")
        }
    }

    public static func decode(_ file: SafeTensors) throws -> FisherVectorModel {
        let m = file.metadata
        guard m["format"] == format else {
            throw LRPError("not a Fisher-vector model (metadata format is \(m["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)')")
        }
        guard let versionText = m["format_version"], let version = Int(versionText) else {
            throw LRPError("missing format_version")
        }
        guard version == formatVersion else {
            throw LRPError("format version \(version) is not supported (this build reads version \(formatVersion))")
        }
        func value(_ key: String) throws -> String {
            guard let v = m[key] else { throw LRPError("missing metadata \(key)") }
            return v
        }
        func int(_ key: String) throws -> Int {
            guard let v = Int(try value(key)) else { throw LRPError("metadata \(key) is not an integer") }
            return v
        }
        func float(_ key: String) throws -> Float {
            guard let v = Float(try value(key)), v.isFinite else { throw LRPError("metadata \(key) is not a finite number") }
            return v
        }
        var features = FeatureOptions()
        features.binSizes = try FeatureOptions.parseSizes(try value("bin_sizes"))
        features.step = try int("step")
        switch try value("fast") {
        case "true": features.fast = true
        case "false": features.fast = false
        case let v: throw LRPError("metadata fast is '\(v)', expected 'true' or 'false'")
        }
        features.magnif = try float("magnif")
        features.windowSize = try float("window_size")
        guard let threshold = Double(try value("contrast_threshold")), threshold.isFinite else {
            throw LRPError("metadata contrast_threshold is not a finite number")
        }
        features.contrastThreshold = threshold
        features.pyramid = try FeatureOptions.parsePyramid(try value("pyramid"))
        try features.validate()
        let classes = try stringList(try value("classes"), key: "classes")
        let names = try stringList(try value("class_names"), key: "class_names")
        let k = try int("gmm_k"), dims = try int("pca_dims")
        guard k >= 1, dims >= 1, dims <= 128 else { throw LRPError("metadata gmm_k / pca_dims out of range") }

        // Element types as ModelFile.md lists them: F32 everywhere, F16 also for the SVM weights.
        for (name, t) in file.tensors.sorted(by: { $0.key < $1.key }) where t.dtype != .f32 {
            guard name == "svm.weights", t.dtype == .f16 else {
                throw LRPError("tensor \(name) has dtype \(t.dtype.rawValue), expected F32\(name == "svm.weights" ? " or F16" : "")")
            }
        }
        let pca = PCA(inputDimension: 128, outputDimension: dims,
                      mean: try finite(file, "pca.mean", shape: [128]),
                      components: try finite(file, "pca.projection", shape: [dims, 128]),
                      variances: try finite(file, "pca.variances", shape: [dims]))
        let gmm = GMMParameters(dimension: dims, clusters: k,
                                means: try finite(file, "gmm.means", shape: [k, dims]),
                                covariances: try finite(file, "gmm.variances", shape: [k, dims]),
                                priors: try finite(file, "gmm.priors", shape: [k]))
        try checkMixture(gmm)
        // Checked: a hostile gmm_k must be an error, not an overflow trap.
        var length = features.cellCount
        for factor in [2, k, dims] {
            let (p, overflow) = length.multipliedReportingOverflow(by: factor)
            guard !overflow else { throw LRPError("metadata gmm_k \(k) is too large") }
            length = p
        }
        let svms = LinearSVMs(classCount: classes.count, dimension: length,
                              weights: try finite(file, "svm.weights", shape: [classes.count, length]),
                              biases: try finite(file, "svm.biases", shape: [classes.count]))
        return try FisherVectorModel(classes: classes, classNames: names, features: features, pca: pca, gmm: gmm,
                                     svms: svms, trainingCommand: m["training_command"] ?? "")
    }

    /// |Σ priors − 1| allowed at load (summed in double; float32 rounding of K ≤ 4096 priors
    /// stays below 1e-6, so 1e-4 only admits files that were normalised).
    public static let priorSumTolerance = 1e-4

    /// A tensor's values, every one finite (docs/DESIGN.md §5.9: checked once at load, so that a
    /// NaN weight is an error naming the tensor and never an exit-0 NaN map).
    private static func finite(_ file: SafeTensors, _ name: String, shape: [Int]) throws -> [Float] {
        let values = try file.tensor(name, shape: shape).floats()
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw LRPError("tensor \(name): element \(i) is \(values[i]), not a finite number")
        }
        return values
    }

    /// GMM variances positive, priors positive and summing to 1 (`priorSumTolerance`): a zero
    /// variance divides by zero and zero priors make every posterior 0/0 (docs/DESIGN.md §5.9).
    private static func checkMixture(_ gmm: GMMParameters) throws {
        if let i = gmm.covariances.firstIndex(where: { $0 <= 0 }) {
            throw LRPError("tensor gmm.variances: element \(i) is \(gmm.covariances[i]); variances must be positive")
        }
        if let i = gmm.priors.firstIndex(where: { $0 <= 0 }) {
            throw LRPError("tensor gmm.priors: element \(i) is \(gmm.priors[i]); priors must be positive")
        }
        let sum = gmm.priors.reduce(0.0) { $0 + Double($1) }
        guard abs(sum - 1) <= priorSumTolerance else {
            throw LRPError("tensor gmm.priors: sums to \(sum), expected 1 (within \(priorSumTolerance))")
        }
    }

    private static func jsonList(_ items: [String]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: items)
        return String(decoding: data, as: UTF8.self)
    }

    private static func stringList(_ text: String, key: String) throws -> [String] {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else {
            throw LRPError("metadata \(key) is not a JSON list of strings")
        }
        return list
    }
}
