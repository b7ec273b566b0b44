import Evaluation
import Foundation
import LRPCore

/// Trains a `FisherVectorModel` on a dataset split (docs/DESIGN.md §3): sample descriptors from a
/// subset of the images → PCA → GMM → encode every image (both cores, float16 vectors in a
/// bounded memory map) → one-vs-rest SVMs. Unreadable images are skipped and counted.
public enum FisherVectorTrainer {
    public static func train(dataset: Dataset, options: TrainingOptions, trainingCommand: String = "",
                             progress: ProgressHandler? = nil) throws -> (FisherVectorModel, TrainingSummary) {
        let skipped = SkipLog()
        var (codebook, summary) = try fitCodebook(dataset: dataset, options: options, skipped: skipped, progress: progress)
        let items = selectItems(dataset, maxPerClass: options.maxImagesPerClass, seed: options.seed)
        var clock = Date()

        // 2. Encode every training image into a float16 row.
        let encoder = ImageEncoder(model: codebook)
        let store = try HalfRowStore(rows: items.count, columns: codebook.fisherLength, scratchDirectory: options.scratchDirectory)
        summary.vectorBytes = items.count * codebook.fisherLength * 2
        let usable = try encodeAll(items: items, encoder: encoder, store: store, skipped: skipped, progress: progress)
        summary.stageSeconds.append(("encode", Date().timeIntervalSince(clock)))
        clock = Date()
        summary.skippedImages = skipped.lines

        // 3. SVMs on the images that could be encoded.
        codebook.trainingCommand = trainingCommand
        let model = try trainSVMs(codebook: codebook, store: store, labels: items.map(\.labels), usable: usable,
                                  options: options.svm, summary: &summary, progress: progress)
        summary.stageSeconds.append(("svm", Date().timeIntervalSince(clock)))
        return (model, summary)
    }

    /// Step 1 of training: a descriptor sample of the selected images → PCA → GMM. The result is
    /// a model with the dataset's classes and zero SVMs (a codebook, docs/DESIGN.md §9).
    public static func fitCodebook(dataset: Dataset, options: TrainingOptions,
                                   progress: ProgressHandler? = nil) throws -> (FisherVectorModel, TrainingSummary) {
        try fitCodebook(dataset: dataset, options: options, skipped: SkipLog(), progress: progress)
    }

    static func fitCodebook(dataset: Dataset, options: TrainingOptions, skipped: SkipLog,
                            progress: ProgressHandler?) throws -> (FisherVectorModel, TrainingSummary) {
        BLASThreads.apply()
        try options.features.validate()
        guard options.pcaDimension >= 1 && options.pcaDimension <= 128 else {
            throw LRPError("PCA dimension must be between 1 and 128, got \(options.pcaDimension)")
        }
        guard options.descriptorSample >= options.gmm.componentCount else {
            throw LRPError("descriptor sample (\(options.descriptorSample)) must be at least the GMM component count (\(options.gmm.componentCount))")
        }
        var summary = TrainingSummary()
        summary.datasetWarnings = dataset.warnings
        let items = selectItems(dataset, maxPerClass: options.maxImagesPerClass, seed: options.seed)
        guard !items.isEmpty else { throw LRPError("the dataset has no training images") }
        var clock = Date()
        func lap(_ stage: String) {
            summary.stageSeconds.append((stage, Date().timeIntervalSince(clock)))
            clock = Date()
        }
        let (sample, sampleCount) = try sampleDescriptors(items: items, options: options, skipped: skipped, progress: progress)
        summary.descriptorsSampled = sampleCount
        guard sampleCount >= max(2, options.gmm.componentCount) else {
            throw LRPError("only \(sampleCount) descriptors could be sampled; need at least \(options.gmm.componentCount) for the GMM")
        }
        lap("sample")
        let pca = try PCA.fit(samples: sample, count: sampleCount, dimension: 128, outputDimension: options.pcaDimension)
        let projected = pca.project(sample, count: sampleCount)
        summary.pcaRetainedVariance = retainedVariance(pca, samples: sample, count: sampleCount)
        progress?(ProgressEvent(stage: "pca", done: 1, total: 1,
                                detail: String(format: "%d → %d dimensions, %.1f%% of the variance", 128, options.pcaDimension,
                                               100 * summary.pcaRetainedVariance)))
        lap("pca")
        let (gmm, gmmSummary) = try GMMTrainer.train(data: projected, count: sampleCount, dimension: options.pcaDimension,
                                                     options: options.gmm, progress: progress)
        summary.gmm = gmmSummary
        lap("gmm")
        summary.skippedImages = skipped.lines
        let length = options.features.cellCount * gmm.fisherLength
        let zero = LinearSVMs(classCount: dataset.classes.count, dimension: length,
                              weights: [Float](repeating: 0, count: dataset.classes.count * length),
                              biases: [Float](repeating: 0, count: dataset.classes.count))
        let codebook = try FisherVectorModel(classes: dataset.classes, classNames: dataset.classNames, features: options.features,
                                             pca: pca, gmm: gmm, svms: zero, trainingCommand: "")
        return (codebook, summary)
    }

    /// Step 3 of training: one-vs-rest SVMs on the encoded rows (`labels` per row; rows that
    /// are not `usable` are ignored) → the codebook with its SVMs.
    public static func trainSVMs(codebook: FisherVectorModel, store: HalfRowStore, labels rowLabels: [[Int8]], usable: [Bool],
                                 options: SVMOptions, summary: inout TrainingSummary,
                                 progress: ProgressHandler? = nil) throws -> FisherVectorModel {
        BLASThreads.apply()
        let nc = codebook.classes.count, rows = store.rows
        var labels = [Int8](repeating: 0, count: rows * nc)
        for i in 0..<rows where usable[i] {
            for c in 0..<nc { labels[i * nc + c] = rowLabels[i][c] }
        }
        for c in 0..<nc {
            let column = (0..<rows).map { labels[$0 * nc + c] }
            guard column.contains(1), column.contains(-1) else {
                throw LRPError("class \(codebook.classes[c]) has no usable \(column.contains(1) ? "negative" : "positive") training image"
                               + (nc < 2 ? " (one-vs-rest training needs at least two classes)" : ""))
            }
        }
        let (svms, svmSummary) = try SVMTrainer.train(data: store, labels: labels, classCount: nc, options: options,
                                                      progress: progress)
        summary.svm = svmSummary
        summary.imagesUsed = usable.filter { $0 }.count
        var model = codebook
        model.svms = svms
        try model.validate()
        return model
    }

    /// All items, or at most `maxPerClass` per positive class (a seeded random choice, kept in
    /// dataset order).
    static func selectItems(_ dataset: Dataset, maxPerClass: Int?, seed: UInt64) -> [DatasetItem] {
        guard let limit = maxPerClass else { return dataset.items }
        var rng = SplitMix64(seed: seed ^ 0x5E1EC7)
        var order = Array(dataset.items.indices)
        order.shuffle(using: &rng)
        var taken = [Int](repeating: 0, count: dataset.classes.count)
        var keep = Set<Int>()
        for i in order {
            let positives = dataset.items[i].labels.indices.filter { dataset.items[i].labels[$0] > 0 }
            if positives.contains(where: { taken[$0] < limit }) {
                keep.insert(i)
                for c in positives { taken[c] += 1 }
            }
        }
        return dataset.items.indices.filter { keep.contains($0) }.map { dataset.items[$0] }
    }

    /// Random descriptors from a random subset of the images (deterministic for a seed, whatever
    /// the thread timing).
    static func sampleDescriptors(items: [DatasetItem], options: TrainingOptions, skipped: SkipLog,
                                  progress: ProgressHandler?) throws -> ([Float], Int) {
        var rng = SplitMix64(seed: options.seed)
        var chosen = Array(items.indices)
        chosen.shuffle(using: &rng)
        chosen = Array(chosen.prefix(max(1, min(options.sampleImages, items.count))))
        let perImage = (options.descriptorSample + chosen.count - 1) / chosen.count
        let results = ParallelSlots<[Float]>(count: chosen.count)
        let counter = Counter()
        Parallel.forEach(chosen.count) { j in
            let item = items[chosen[j]]
            defer {
                let done = counter.increment()
                if done % 25 == 0 || done == chosen.count {
                    progress?(ProgressEvent(stage: "sample", done: done, total: chosen.count, detail: "\(perImage) descriptors per image"))
                }
            }
            do {
                let image = try ImageEncoder.loadImage(item.url)
                let sift = try ImageEncoder.descriptors(of: image, features: options.features, threads: 1)
                guard sift.count > 0 else { throw LRPError("\(item.url.path): too small for a descriptor") }
                var local = SplitMix64(seed: options.seed &+ UInt64(chosen[j]) &* 0x9E37_79B9)
                var picks = Array(0..<sift.count)
                picks.shuffle(using: &local)
                var out: [Float] = []
                out.reserveCapacity(min(perImage, sift.count) * 128)
                for l in picks.prefix(perImage) { out += sift.descriptors[(l * 128)..<((l + 1) * 128)] }
                results.set(j, out)
            } catch {
                skipped.add(item.url, error)
            }
        }
        var sample: [Float] = []
        sample.reserveCapacity(options.descriptorSample * 128)
        for j in 0..<chosen.count { if let r = results.get(j) { sample += r } }
        return (sample, sample.count / 128)
    }

    /// Encodes every item into its row of `store`; returns which rows hold a vector.
    static func encodeAll(items: [DatasetItem], encoder: ImageEncoder, store: HalfRowStore, skipped: SkipLog,
                          progress: ProgressHandler?) throws -> [Bool] {
        let ok = ParallelSlots<Bool>(count: items.count)
        let counter = Counter()
        Parallel.forEach(items.count) { i in
            defer {
                let done = counter.increment()
                if done % 50 == 0 || done == items.count {
                    progress?(ProgressEvent(stage: "encode", done: done, total: items.count, detail: skipped.countDetail))
                }
            }
            do {
                let image = try ImageEncoder.loadImage(items[i].url)
                let encoding = try encoder.encode(image, threads: 1)
                encoding.fisherVector.withUnsafeBufferPointer { store.setRow(i, from: $0.baseAddress!) }
                ok.set(i, true)
            } catch {
                skipped.add(items[i].url, error)
            }
        }
        let usable = (0..<items.count).map { ok.get($0) ?? false }
        guard usable.contains(true) else { throw LRPError("none of the \(items.count) training images could be read") }
        return usable
    }

    /// Fraction of the total sample variance the kept components explain.
    static func retainedVariance(_ pca: PCA, samples: [Float], count: Int) -> Double {
        var mean = [Double](repeating: 0, count: 128), sq = [Double](repeating: 0, count: 128)
        for n in 0..<count { for j in 0..<128 { let v = Double(samples[n * 128 + j]); mean[j] += v; sq[j] += v * v } }
        var total = 0.0
        for j in 0..<128 { let m = mean[j] / Double(count); total += (sq[j] / Double(count) - m * m) * Double(count) / Double(count - 1) }
        let kept = pca.variances.reduce(0.0) { $0 + Double($1) }
        return total > 0 ? min(1, kept / total) : 0
    }
}
