import COpenBLAS
import Foundation
import LRPCore

/// Relevance of one image's classifier score, stage by stage (docs/DESIGN.md §4):
///
///     R⁽⁴⁾ = f(x) = w·Φ + b                            (SVM score of the target class)
///     R⁽³⁾_d = w_d Φ_d                                  (Fisher dimensions; the bias is not spread)
///     R_li = Σ_d z_l,d / (z_d + ε·sign z_d) · R⁽³⁾_d    (d ranging over the FV dimensions of PCA
///                                                       dimension i, in every cell holding l)
///     R_l  = Σ_i R_li                                   (descriptor relevance, R⁽²⁾)
///     R_ls = Σ_i z_si / (z_i + ε'·sign z_i) · R_li,     z_si = P_is (x_s − m_s), z_i = Σ_s z_si
///                                                       (back through the PCA to the 128 SIFT dims)
///     R_l,bin(bx,by) = Σ_t R_l,(t + 8(bx + 4by))        (the 8 orientations of each spatial bin)
///
/// z_d are the sum-pooled (no 1/N) Fisher statistics of the cell, so ε is on that scale; ε' is
/// on the descriptor scale (VLFeat MATLAB, 0…255). `sign(0) = +1`, and a zero denominator
/// (ε = 0, z = 0) passes nothing on (0/0 = 0).
public struct FisherRelevance: Sendable {
    /// SVM scores of all classes.
    public var scores: [Float]
    public var target: Int
    /// R⁽⁴⁾: the target's score (with bias).
    public var score: Float
    public var bias: Float
    /// Σ_d R⁽³⁾_d = score − bias.
    public var fisherTotal: Double
    /// `count × D` per-descriptor, per-PCA-dimension relevance R_li.
    public var perDimension: [Float]
    /// `count` descriptor relevances R_l = Σ_i R_li.
    public var perDescriptor: [Float]
    /// `count × 16` spatial-bin relevances (bin index bx + 4·by), nil unless asked for.
    public var perBin: [Float]?
    /// Σ_l Σ_s R_ls (what the PCA step passes to the SIFT dimensions), nil unless computed.
    public var siftTotal: Double?

    public var descriptorTotal: Double { perDescriptor.reduce(0.0) { $0 + Double($1) } }

    /// - Parameters:
    ///   - epsilon: ε of the Fisher step, on the sum-pooled scale (default 100).
    ///   - pcaEpsilon: ε' of the PCA step on the descriptor scale (default 100); nil skips the
    ///     PCA step (descriptor resolution only).
    public static func compute(model: FisherVectorModel, encoding e: ImageEncoding, target: Int?,
                               epsilon: Float = 100, pcaEpsilon: Float? = 100) throws -> FisherRelevance {
        BLASThreads.apply()
        guard epsilon >= 0, epsilon.isFinite, (pcaEpsilon ?? 0) >= 0, (pcaEpsilon ?? 0).isFinite else {
            throw LRPError("epsilon values must be non-negative and finite")
        }
        let scores = model.svms.scores(e.fisherVector)
        let t = target ?? scores.indices.max { scores[$0] < scores[$1] }!
        guard t >= 0 && t < model.classes.count else { throw LRPError("target class \(t) is out of range") }
        let length = model.fisherLength
        let w = model.svms.weights[(t * length)..<((t + 1) * length)]

        // R⁽³⁾ and the ratios s_d = R⁽³⁾_d / (z_d + ε sign z_d).
        var fisherTotal = 0.0
        var ratios = [Float](repeating: 0, count: length)
        for (j, wd) in zip(0..<length, w) {
            let r3 = wd * e.fisherVector[j]
            fisherTotal += Double(r3)
            ratios[j] = stabilisedRatio(r3, e.statistics[j], epsilon)
        }
        let d = model.gmm.dimension
        let perDimension = try FisherRelevanceKernel.relevance(data: e.projected, count: e.count, gmm: model.gmm,
                                                               posteriors: e.posteriors, cells: e.cells, ratios: ratios)
        var perDescriptor = [Float](repeating: 0, count: e.count)
        for l in 0..<e.count {
            var s: Float = 0
            for i in 0..<d { s += perDimension[l * d + i] }
            perDescriptor[l] = s
        }
        var result = FisherRelevance(scores: scores, target: t, score: scores[t], bias: model.svms.biases[t],
                                     fisherTotal: fisherTotal, perDimension: perDimension, perDescriptor: perDescriptor,
                                     perBin: nil, siftTotal: nil)
        if let pcaEpsilon {
            let sift = throughPCA(model.pca, descriptors: e.sift.descriptors, count: e.count, relevance: perDimension,
                                  epsilon: pcaEpsilon)
            var bins = [Float](repeating: 0, count: e.count * 16)
            var total = 0.0
            for l in 0..<e.count {
                for b in 0..<16 {
                    var s: Float = 0
                    for o in 0..<8 { s += sift[l * 128 + 8 * b + o] }
                    bins[l * 16 + b] = s
                    total += Double(s)
                }
            }
            result.perBin = bins
            result.siftTotal = total
        }
        return result
    }

    /// `r / (z + ε sign z)` with sign(0) = +1 and 0/0 = 0.
    @inline(__always)
    static func stabilisedRatio(_ r: Float, _ z: Float, _ epsilon: Float) -> Float {
        let den = stabilized(z, epsilon)
        return den == 0 ? 0 : r / den
    }

    /// The epsilon rule through the PCA: `R_ls = (x_ls − m_s) · Σ_i P_is R_li / (z_li + ε sign z_li)`
    /// with `z_li = Σ_s P_is (x_ls − m_s)` recomputed from the centred input so that, with
    /// ε → 0, Σ_s R_ls = Σ_i R_li. Returns `count × 128`.
    public static func throughPCA(_ pca: PCA, descriptors: [Float], count: Int, relevance: [Float], epsilon: Float) -> [Float] {
        let din = pca.inputDimension, dout = pca.outputDimension
        precondition(descriptors.count == count * din && relevance.count == count * dout)
        var centred = descriptors
        for l in 0..<count { for s in 0..<din { centred[l * din + s] -= pca.mean[s] } }
        var z = [Float](repeating: 0, count: count * dout)
        var out = [Float](repeating: 0, count: count * din)
        guard count > 0 else { return out }
        // z = X_c Pᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(dout), Int32(din),
                    1, centred, Int32(din), pca.components, Int32(din), 0, &z, Int32(dout))
        for j in 0..<(count * dout) { z[j] = stabilisedRatio(relevance[j], z[j], epsilon) }
        // T = ratios P, then R = X_c ⊙ T
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(din), Int32(dout),
                    1, z, Int32(dout), pca.components, Int32(din), 0, &out, Int32(din))
        for j in 0..<(count * din) { out[j] *= centred[j] }
        return out
    }
}
