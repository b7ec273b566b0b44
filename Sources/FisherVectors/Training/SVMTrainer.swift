import COpenBLAS
import Foundation
import LRPCore

/// Options of the one-vs-rest linear SVM solver.
public struct SVMOptions: Sendable, Equatable {
    public enum Loss: String, Sendable, CaseIterable {
        /// L1-loss (hinge) SVM: box constraint 0 ≤ α ≤ C.
        case hinge
        /// L2-loss (squared hinge) SVM: α ≥ 0 with diagonal 1/(2C) added to Q (liblinear's default).
        case squaredHinge = "squared-hinge"
    }
    /// Primal `½‖w‖² + C Σ loss_i` (liblinear's C).
    public var c: Double = 1
    public var loss: Loss = .squaredHinge
    /// Constant feature appended to every vector for the bias (regularised like liblinear's `-B`).
    public var biasFeature: Double = 1
    /// Stop when, for every class, max − min of the projected gradient over an epoch is below
    /// this (liblinear's criterion for its dual solvers, default 0.1).
    public var tolerance: Double = 0.1
    public var maxEpochs: Int = 20
    public var seed: UInt64 = 1
    /// Samples whose updates are applied together (exactly, via their Gram matrix).
    public var blockSize: Int = 32

    public init() {}
}

/// What training reached.
public struct SVMTrainingSummary: Sendable {
    public var epochs: Int
    /// Largest per-class projected-gradient spread in the last epoch.
    public var projectedGradientSpread: Double
    /// Per class: primal and dual objective, measured exactly after training.
    public var primal: [Double]
    public var dual: [Double]
    public var relativeDualityGap: Double {
        zip(primal, dual).map { abs($0 - $1) / max(abs($0), 1e-12) }.max() ?? 0
    }
}

/// Dual coordinate descent for L2-regularised linear SVMs (Hsieh et al., ICML 2008 — the
/// liblinear solver), for all one-vs-rest classes in the same pass over the data: each epoch
/// reads every float16 vector twice (once for the margins, once for the update), however many
/// classes there are.
///
/// Samples are visited in blocks of `blockSize`; the block's margins `W X_Bᵀ` and update
/// `W += ΔA X_B` are dense GEMMs over dimension chunks (split across the cores), and the
/// coordinate steps inside a block stay exactly sequential by correcting each margin with the
/// block's Gram matrix (computed once, in the first epoch). The result is the same sequence of
/// updates as the one-sample-at-a-time solver, at GEMM speed.
public enum SVMTrainer {
    /// Trains `classCount` one-vs-rest SVMs.
    /// - Parameters:
    ///   - data: one float16 vector per sample.
    ///   - labels: `rows × classCount`, row-major: +1 positive, −1 negative, 0 not used for that class.
    /// - Throws: `LRPError` if a class has no positive or no negative sample, or options are invalid.
    public static func train(data: HalfRowStore, labels: [Int8], classCount: Int, options: SVMOptions = SVMOptions(),
                             progress: ProgressHandler? = nil) throws -> (LinearSVMs, SVMTrainingSummary) {
        BLASThreads.apply()
        let n = data.rows, d = data.columns, nc = classCount
        guard labels.count == n * nc else { throw LRPError("SVM: \(labels.count) labels for \(n) samples × \(nc) classes") }
        guard options.c > 0, options.c.isFinite else { throw LRPError("SVM C must be positive, got \(options.c)") }
        guard options.blockSize >= 1, options.maxEpochs >= 1 else { throw LRPError("SVM: invalid block size or epoch count") }
        for c in 0..<nc {
            let pos = (0..<n).contains { labels[$0 * nc + c] > 0 }, neg = (0..<n).contains { labels[$0 * nc + c] < 0 }
            guard pos && neg else { throw LRPError("SVM: class \(c) needs positive and negative training samples") }
        }
        let bf = options.biasFeature
        let upper = options.loss == .hinge ? options.c : Double.infinity
        let diag = options.loss == .hinge ? 0 : 1 / (2 * options.c)

        var rng = SplitMix64(seed: options.seed)
        var order = Array(0..<n)
        order.shuffle(using: &rng)
        let bs = options.blockSize
        let blocks: [[Int]] = stride(from: 0, to: n, by: bs).map { Array(order[$0..<min(n, $0 + bs)]) }
        var grams: [[Float]?] = Array(repeating: nil, count: blocks.count)

        var w = [Float](repeating: 0, count: nc * d)
        var beta = [Double](repeating: 0, count: nc)     // weight of the bias feature
        var alpha = [Double](repeating: 0, count: n * nc)
        var epochs = 0
        var spread = Double.infinity

        for epoch in 0..<options.maxEpochs {
            var pgMax = [Double](repeating: -.infinity, count: nc)
            var pgMin = [Double](repeating: .infinity, count: nc)
            var blockOrder = Array(blocks.indices)
            blockOrder.shuffle(using: &rng)
            for b in blockOrder {
                let members = blocks[b]
                let m = members.count
                let needGram = grams[b] == nil
                var (margins, gram) = blockProducts(data: data, members: members, weights: w, classCount: nc, withGram: needGram)
                if needGram { grams[b] = gram } else { gram = grams[b]! }
                // Sequential coordinate steps in a random order inside the block.
                var delta = [Float](repeating: 0, count: nc * m)   // Δα·y per (class, member)
                var any = false
                var inner = Array(0..<m)
                inner.shuffle(using: &rng)
                for j in inner {
                    let s = members[j]
                    let qii = Double(gram[j * m + j]) + bf * bf + diag
                    for c in 0..<nc {
                        let y = Double(labels[s * nc + c])
                        if y == 0 { continue }
                        var margin = Double(margins[c * m + j]) + beta[c] * bf
                        for k in 0..<m where delta[c * m + k] != 0 {
                            margin += Double(delta[c * m + k]) * (Double(gram[k * m + j]) + bf * bf)
                        }
                        let a = alpha[s * nc + c]
                        let g = y * margin - 1 + diag * a
                        var pg = g
                        if a == 0 { pg = min(g, 0) } else if a >= upper { pg = max(g, 0) }
                        pgMax[c] = max(pgMax[c], pg); pgMin[c] = min(pgMin[c], pg)
                        if abs(pg) > 1e-12 {
                            let newA = min(max(a - g / qii, 0), upper)
                            let step = (newA - a) * y
                            alpha[s * nc + c] = newA
                            delta[c * m + j] += Float(step)
                            beta[c] += step * bf
                            any = true
                        }
                    }
                }
                if any { applyUpdate(data: data, members: members, delta: delta, weights: &w, classCount: nc) }
            }
            epochs = epoch + 1
            spread = zip(pgMax, pgMin).map { $0 - $1 }.max() ?? 0
            progress?(ProgressEvent(stage: "svm", done: epochs, total: options.maxEpochs,
                                    detail: String(format: "projected-gradient spread %.4f (stop below %.4g)", spread, options.tolerance)))
            if spread < options.tolerance { break }
        }

        // Exact objectives for the report: one more pass for all margins.
        let svms = LinearSVMs(classCount: nc, dimension: d, weights: w, biases: beta.map { Float($0 * bf) })
        var primal = [Double](repeating: 0, count: nc), dual = [Double](repeating: 0, count: nc)
        for c in 0..<nc {
            var norm2 = beta[c] * beta[c]
            for j in 0..<d { norm2 += Double(w[c * d + j]) * Double(w[c * d + j]) }
            primal[c] = 0.5 * norm2
            var sumA = 0.0, sumA2 = 0.0
            for s in 0..<n { let a = alpha[s * nc + c]; sumA += a; sumA2 += a * a }
            dual[c] = sumA - 0.5 * norm2 - 0.5 * diag * sumA2
        }
        for block in blocks {
            let (margins, _) = blockProducts(data: data, members: block, weights: w, classCount: nc, withGram: false)
            for (j, s) in block.enumerated() {
                for c in 0..<nc {
                    let y = Double(labels[s * nc + c])
                    if y == 0 { continue }
                    let xi = max(0, 1 - y * (Double(margins[c * block.count + j]) + beta[c] * bf))
                    primal[c] += options.c * (options.loss == .hinge ? xi : xi * xi)
                }
            }
        }
        return (svms, SVMTrainingSummary(epochs: epochs, projectedGradientSpread: spread, primal: primal, dual: dual))
    }

    /// Columns per converted chunk: a chunk of a 32-sample block is 256 KB of float32.
    static let chunkColumns = 2048

    /// `W X_Bᵀ` (classCount × m) and, when asked, the block's Gram matrix `X_B X_Bᵀ` (m × m),
    /// with the dimension range split across the cores.
    static func blockProducts(data: HalfRowStore, members: [Int], weights: [Float], classCount nc: Int,
                              withGram: Bool) -> ([Float], [Float]) {
        let m = members.count, d = data.columns
        var margins = [Float](repeating: 0, count: nc * m)
        var gram = [Float](repeating: 0, count: withGram ? m * m : 0)
        let lock = NSLock()
        weights.withUnsafeBufferPointer { wp in
            Parallel.forChunks(d, minChunk: 4 * chunkColumns) { range in
                var partM = [Float](repeating: 0, count: nc * m)
                var partG = [Float](repeating: 0, count: withGram ? m * m : 0)
                var tmp = [Float](repeating: 0, count: m * chunkColumns)
                tmp.withUnsafeMutableBufferPointer { t in
                    var col = range.lowerBound
                    while col < range.upperBound {
                        let width = min(chunkColumns, range.upperBound - col)
                        for (j, s) in members.enumerated() {
                            data.copy(row: s, columns: col..<(col + width), into: t.baseAddress! + j * width)
                        }
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(nc), Int32(m), Int32(width),
                                    1, wp.baseAddress! + col, Int32(d), t.baseAddress, Int32(width), 1, &partM, Int32(m))
                        if withGram {
                            cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, Int32(m), Int32(width),
                                        1, t.baseAddress, Int32(width), 1, &partG, Int32(m))
                        }
                        col += width
                    }
                }
                lock.lock()
                for i in 0..<(nc * m) { margins[i] += partM[i] }
                if withGram { for i in 0..<(m * m) { gram[i] += partG[i] } }
                lock.unlock()
            }
        }
        if withGram { // mirror the lower triangle
            for i in 0..<m { for j in (i + 1)..<max(i + 1, m) { gram[i * m + j] = gram[j * m + i] } }
        }
        return (margins, gram)
    }

    /// `W += ΔA X_B`, each core updating its own dimension range.
    static func applyUpdate(data: HalfRowStore, members: [Int], delta: [Float], weights: inout [Float], classCount nc: Int) {
        let m = members.count, d = data.columns
        weights.withUnsafeMutableBufferPointer { wp in
            let wBase = wp.baseAddress!
            Parallel.forChunks(d, minChunk: 4 * chunkColumns) { range in
                var tmp = [Float](repeating: 0, count: m * chunkColumns)
                tmp.withUnsafeMutableBufferPointer { t in
                    var col = range.lowerBound
                    while col < range.upperBound {
                        let width = min(chunkColumns, range.upperBound - col)
                        for (j, s) in members.enumerated() {
                            data.copy(row: s, columns: col..<(col + width), into: t.baseAddress! + j * width)
                        }
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(nc), Int32(width), Int32(m),
                                    1, delta, Int32(m), t.baseAddress, Int32(width), 1, wBase + col, Int32(d))
                        col += width
                    }
                }
            }
        }
    }
}
