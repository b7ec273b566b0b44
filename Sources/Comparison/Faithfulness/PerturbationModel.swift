import FisherVectors
import Foundation
import LRPCore

/// One perturbation curve to score: the regions in the order they are replaced (at least L).
public struct CurveRequest: Sendable {
    public var regions: [Int]
    public init(regions: [Int]) { self.regions = regions }
}

/// A model as region perturbation sees it (docs/DESIGN.md §10.2): an input space and the score
/// f of the explained class for perturbed inputs. `curves` returns, per request, f at every
/// scored step (`PerturbationSettings.scoredSteps`, step 0 included).
///
/// The default (`BatchPerturbationModel`) materialises the perturbed inputs and scores them in
/// batches; a model may instead update its state incrementally (`FisherPerturbationModel`).
public protocol PerturbationModel: AnyObject {
    var space: InputSpace { get }
    func curves(original: [Float], requests: [CurveRequest], grid: RegionGrid, noise: RegionNoise,
                settings: PerturbationSettings) throws -> [[Double]]
}

/// Walks one request and hands every scored state to `visit` (k, input), step 0 included.
/// Regions are replaced in order; `changed` lists the rectangles replaced since the last visit.
func playCurve(original: [Float], request: CurveRequest, grid: RegionGrid, noise: RegionNoise, space: InputSpace,
               settings: PerturbationSettings, visit: (_ k: Int, _ input: [Float], _ changed: [PixelRect]) throws -> Void) throws {
    guard request.regions.count >= settings.steps else {
        throw LRPError("internal: a perturbation order holds \(request.regions.count) regions, \(settings.steps) needed")
    }
    var x = original
    var pending: [PixelRect] = []
    let scored = Set(settings.scoredSteps)
    try visit(0, x, [])
    for k in 1...settings.steps {
        let r = request.regions[k - 1]
        let rect = grid.rect(r)
        noise.fill(&x, region: r, rect: rect, space: space)
        pending.append(rect)
        if scored.contains(k) {
            try visit(k, x, pending)
            pending = []
        }
    }
}

/// A model scored by a batch function (the CNN, hand-made test models): perturbed inputs are
/// built curve by curve and scored `batchSize` at a time; f(x⁽⁰⁾) is computed once and shared.
public final class BatchPerturbationModel: PerturbationModel {
    public let space: InputSpace
    public let batchSize: Int
    private let score: ([[Float]]) throws -> [Float]
    /// Seconds spent inside the score function (the re-scoring time of the time split).
    public private(set) var scoringSeconds = 0.0
    public private(set) var scoredInputs = 0

    public init(space: InputSpace, batchSize: Int = 16, score: @escaping ([[Float]]) throws -> [Float]) {
        self.space = space
        self.batchSize = max(1, batchSize)
        self.score = score
    }

    public func curves(original: [Float], requests: [CurveRequest], grid: RegionGrid, noise: RegionNoise,
                       settings: PerturbationSettings) throws -> [[Double]] {
        guard original.count == space.valueCount else {
            throw LRPError("internal: input of \(original.count) values does not match its input space")
        }
        let points = settings.scoredSteps.count
        var out = [[Double]](repeating: [Double](repeating: .nan, count: points), count: requests.count)
        let f0 = try timed([original])[0]
        var batch: [[Float]] = []
        var slots: [(curve: Int, point: Int)] = []
        func flush() throws {
            if batch.isEmpty { return }
            let s = try timed(batch)
            for (v, slot) in zip(s, slots) { out[slot.curve][slot.point] = Double(v) }
            batch = []
            slots = []
        }
        for (c, request) in requests.enumerated() {
            var point = 0
            try playCurve(original: original, request: request, grid: grid, noise: noise, space: space, settings: settings) { k, x, _ in
                if k == 0 {
                    out[c][0] = Double(f0)
                } else {
                    batch.append(x)
                    slots.append((c, point))
                    if batch.count >= batchSize { try flush() }
                }
                point += 1
            }
        }
        try flush()
        return out
    }

    private func timed(_ inputs: [[Float]]) throws -> [Float] {
        let start = Date()
        let s = try score(inputs)
        scoringSeconds += Date().timeIntervalSince(start)
        scoredInputs += inputs.count
        guard s.count == inputs.count else { throw LRPError("internal: \(s.count) scores for \(inputs.count) inputs") }
        return s
    }
}
