import Foundation
import LRPCore

/// The PCA and GMM of a training run, fitted once on a descriptor sample and shipped as one
/// file to the `encode` shards (docs/DESIGN.md §9). Stored as a model file (ModelFile.md) whose
/// SVMs are zero (float16) with three more metadata keys: `stage` = `codebook`, and the image
/// selection of the training run, `selection_seed` and `max_images_per_class` (empty: all).
public struct Codebook: Sendable {
    /// The dataset's classes, features, PCA and GMM; zero SVMs.
    public var model: FisherVectorModel
    /// Selection of the training images (`FisherVectorTrainer.selectItems`).
    public var seed: UInt64
    public var maxImagesPerClass: Int?

    public init(model: FisherVectorModel, seed: UInt64, maxImagesPerClass: Int?) {
        self.model = model
        self.seed = seed
        self.maxImagesPerClass = maxImagesPerClass
    }

    public func write(to url: URL) throws {
        var file = try ModelFile.encode(model, weightPrecision: .float16)
        file.metadata["stage"] = "codebook"
        file.metadata["selection_seed"] = String(seed)
        file.metadata["max_images_per_class"] = maxImagesPerClass.map(String.init) ?? ""
        try file.write(to: url)
    }

    /// - Throws: `LRPError` naming the file if it is not a codebook.
    public static func read(_ url: URL) throws -> Codebook {
        let file = try SafeTensors.read(url)
        do {
            let model = try ModelFile.decode(file)
            guard file.metadata["stage"] == "codebook", let seed = UInt64(file.metadata["selection_seed"] ?? "") else {
                throw LRPError("not a codebook (a trained model? write one with train --codebook-only)")
            }
            let limit = file.metadata["max_images_per_class"] ?? ""
            return Codebook(model: model, seed: seed, maxImagesPerClass: limit.isEmpty ? nil : Int(limit))
        } catch let e as LRPError {
            throw LRPError("codebook \(url.path): \(e.message)")
        }
    }
}
