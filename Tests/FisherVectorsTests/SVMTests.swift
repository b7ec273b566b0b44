import CVLFeat
import XCTest
@testable import FisherVectors

final class SVMTests: XCTestCase {
    /// Two-class blobs (+ optional overlap), stored as float16 like real training data; the
    /// returned doubles are the float16-rounded values every solver sees.
    static func makeData(n: Int, d: Int, separation: Double, seed: UInt64) throws -> (HalfRowStore, [Double], [Int8]) {
        var rng = SplitMix64(seed: seed)
        func gauss() -> Double {
            let u = max(1e-12, Double(rng.next() >> 11) / Double(1 << 53)), v = Double(rng.next() >> 11) / Double(1 << 53)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let store = try HalfRowStore(rows: n, columns: d, scratchDirectory: nil)
        var values = [Double](repeating: 0, count: n * d)
        var labels = [Int8](repeating: 0, count: n)
        for i in 0..<n {
            let y: Int8 = i % 2 == 0 ? 1 : -1
            labels[i] = y
            let row = (0..<d).map { j in Float(gauss() * 0.5 + (j < 3 ? Double(y) * separation : 0.2)) }
            row.withUnsafeBufferPointer { store.setRow(i, from: $0.baseAddress!) }
            var back = [Float](repeating: 0, count: d)
            store.copy(row: i, columns: 0..<d, into: &back)
            for j in 0..<d { values[i * d + j] = Double(back[j]) }
        }
        return (store, values, labels)
    }

    /// Primal ½‖[w; b]‖² + C Σ loss for our formulation (bias feature 1).
    func primal(w: [Double], b: Double, data: [Double], labels: [Int8], d: Int, c: Double, loss: SVMOptions.Loss) -> Double {
        var p = 0.5 * (w.map { $0 * $0 }.reduce(0, +) + b * b)
        for i in 0..<labels.count {
            var s = b
            for j in 0..<d { s += w[j] * data[i * d + j] }
            let xi = max(0, 1 - Double(labels[i]) * s)
            p += c * (loss == .hinge ? xi : xi * xi)
        }
        return p
    }

    func testSeparableProblemIsSolvedWithMargin() throws {
        let (store, _, labels) = try Self.makeData(n: 120, d: 20, separation: 2, seed: 1)
        var options = SVMOptions()
        options.c = 10
        options.loss = .hinge
        options.tolerance = 1e-6
        options.maxEpochs = 2000
        options.blockSize = 7
        let (svm, summary) = try SVMTrainer.train(data: store, labels: labels, classCount: 1, options: options)
        var row = [Float](repeating: 0, count: 20)
        for i in 0..<120 {
            store.copy(row: i, columns: 0..<20, into: &row)
            let s = svm.scores(row)[0]
            XCTAssertGreaterThan(Float(labels[i]) * s, 0.99, "sample \(i)")
        }
        XCTAssertLessThan(summary.relativeDualityGap, 1e-3)
    }

    /// The same optimum as VLFeat's SDCA solver (objective λ/2‖w̃‖² + 1/n Σ loss, i.e. ours
    /// with C = 1/(λn)), for both losses, on an overlapping problem.
    func testMatchesVLFeatSDCAObjective() throws {
        let n = 300, d = 25
        let (store, values, labels) = try Self.makeData(n: n, d: d, separation: 0.6, seed: 5)
        for loss in SVMOptions.Loss.allCases {
            var options = SVMOptions()
            options.c = 0.5
            options.loss = loss
            options.tolerance = 1e-4
            options.maxEpochs = 2000
            let (svm, summary) = try SVMTrainer.train(data: store, labels: labels, classCount: 1, options: options)
            let ours = primal(w: svm.weights.map(Double.init), b: Double(svm.biases[0]), data: values, labels: labels,
                              d: d, c: options.c, loss: loss)

            let lambda = 1 / (options.c * Double(n))
            let y = labels.map(Double.init)
            let vl = try XCTUnwrap(vl_svm_new(VlSvmSolverSdca, values, vl_size(d), vl_size(n), y, lambda))
            defer { vl_svm_delete(vl) }
            vl_svm_set_loss(vl, loss == .hinge ? VlSvmLossHinge : VlSvmLossHinge2)
            vl_svm_set_bias_multiplier(vl, 1)
            vl_svm_set_epsilon(vl, 1e-7)
            vl_svm_set_max_num_iterations(vl, vl_size(n * 5000))
            vl_svm_train(vl)
            let model = Array(UnsafeBufferPointer(start: vl_svm_get_model(vl), count: d))
            let theirs = primal(w: model, b: vl_svm_get_bias(vl), data: values, labels: labels, d: d, c: options.c, loss: loss)
            XCTAssertEqual(ours, theirs, accuracy: 2e-3 * theirs, "\(loss)")
            XCTAssertLessThan(summary.relativeDualityGap, 1e-3, "\(loss)")
            XCTAssertEqual(summary.primal[0], ours, accuracy: 1e-3 * ours)
        }
    }

    /// One-vs-rest with ignored labels: three classes trained together equal each class
    /// trained alone (same seed, same visiting order), and label 0 keeps a sample out.
    func testClassesTrainedTogetherEqualAlone() throws {
        let n = 90, d = 12
        let (store, _, base) = try Self.makeData(n: n, d: d, separation: 1, seed: 9)
        var labels = [Int8](repeating: -1, count: n * 3)
        for i in 0..<n {
            labels[i * 3 + 0] = base[i]
            labels[i * 3 + 1] = i % 3 == 0 ? 1 : -1
            labels[i * 3 + 2] = i % 5 == 0 ? 0 : (i % 3 == 1 ? 1 : -1)
        }
        var options = SVMOptions()
        options.maxEpochs = 5
        options.tolerance = 1e-12 // run all 5 epochs in both cases
        let (joint, _) = try SVMTrainer.train(data: store, labels: labels, classCount: 3, options: options)
        for c in 0..<3 {
            let single = (0..<n).map { labels[$0 * 3 + c] }
            let (alone, _) = try SVMTrainer.train(data: store, labels: single, classCount: 1, options: options)
            for j in 0..<d { XCTAssertEqual(joint.weights[c * d + j], alone.weights[j], accuracy: 1e-4) }
            XCTAssertEqual(joint.biases[c], alone.biases[0], accuracy: 1e-4)
        }
    }

    func testRejectsClassWithoutNegatives() throws {
        let (store, _, _) = try Self.makeData(n: 10, d: 4, separation: 1, seed: 2)
        XCTAssertThrowsError(try SVMTrainer.train(data: store, labels: [Int8](repeating: 1, count: 10), classCount: 1))
    }
}
