import FisherVectors
import Foundation
import LRPCore

/// The Fisher-vector model as region perturbation sees it (docs/DESIGN.md §10.2): the picture
/// the FV pipeline works on (0…255 per channel, interleaved), re-scored incrementally — each
/// curve starts from a copy of the image's encoding and, after each batch of replaced regions,
/// recomputes only the descriptors that can see them (`IncrementalFisherEncoder`). Curves run
/// in parallel, one per core.
public final class FisherPerturbationModel: PerturbationModel {
    public let space: InputSpace
    public let target: Int
    private let base: IncrementalFisherEncoder
    private let lock = NSLock()
    public private(set) var rescorings = 0
    public private(set) var recomputed = 0
    public private(set) var changed = 0
    /// CPU seconds of re-scoring summed over workers (each curve runs on one thread) and
    /// wall-clock seconds.
    public private(set) var coreSeconds = 0.0
    public private(set) var wallSeconds = 0.0

    public init(encoder: IncrementalFisherEncoder, space: InputSpace, target: Int) {
        base = encoder
        self.space = space
        self.target = target
    }

    public func curves(original: [Float], requests: [CurveRequest], grid: RegionGrid, noise: RegionNoise,
                       settings: PerturbationSettings) throws -> [[Double]] {
        let start = Date()
        let f0 = Double(base.scores()[target])
        let slots = ParallelSlots<Result<[Double], Error>>(count: requests.count)
        let (w, h, c) = (space.width, space.height, space.channels)
        Parallel.forEach(requests.count) { r in
            slots.set(r, Result {
                var encoder = base
                var curve: [Double] = []
                let t0 = CPUClock.thread()
                try playCurve(original: original, request: requests[r], grid: grid, noise: noise, space: space,
                              settings: settings) { k, x, changed in
                    if k == 0 { curve.append(f0); return }
                    try encoder.update(image: Image(width: w, height: h, channels: c, pixels: x), changed: changed)
                    curve.append(Double(encoder.scores()[target]))
                }
                self.record(rescorings: curve.count - 1, recomputed: encoder.recomputed, changed: encoder.changed,
                            seconds: CPUClock.thread() - t0)
                return curve
            })
        }
        wallSeconds += Date().timeIntervalSince(start)
        return try slots.values()
    }

    private func record(rescorings n: Int, recomputed r: Int, changed c: Int, seconds: Double) {
        lock.lock()
        rescorings += n; recomputed += r; changed += c; coreSeconds += seconds
        lock.unlock()
    }
}
