import CKernels

/// Per-sample layout of a value: `channels × spatial` floats (`[C,H,W]` → C × H·W; `[F]` → F × 1).
struct ValueLayout: Equatable, Sendable {
    let channels: Int
    let height: Int
    let width: Int
    var spatial: Int { height * width }
    var count: Int { channels * spatial }

    init(shape: [Int]) {
        switch shape.count {
        case 0: (channels, height, width) = (1, 1, 1)
        case 1: (channels, height, width) = (shape[0], 1, 1)
        case 2: (channels, height, width) = (shape[0], shape[1], 1)
        default: (channels, height, width) = (shape[0], shape[1], shape[2...].reduce(1, *))
        }
    }
}

/// The relevance arriving at one value, for the whole batch. Flat layers (the cut-off region,
/// the flat first-layer rule) spread relevance identically over the input channels of a group,
/// so their result is kept as one spatial map per sample; and below a point where every path to
/// the input passes a single-group flat layer, only the channel sum of the relevance matters.
/// Flat propagation through deep layers then costs a 2-D map instead of a full tensor, which
/// makes a cut-off sweep cheap.
enum Relevance {
    /// `[N, channels, spatial]`.
    case full(FloatBuffer)
    /// `[N, spatial]`; every channel carries this map.
    case uniform(FloatBuffer)
    /// `[N, spatial]`: the sum over channels of a relevance whose split over channels no longer
    /// matters (`PreparedGraph.collapsible`); only the flat walk creates it.
    case channelSum(FloatBuffer)

    /// The full `[N, channels, spatial]` tensor (copies a uniform map into every channel).
    func materialized(_ layout: ValueLayout, batch: Int) -> FloatBuffer {
        switch self {
        case .full(let b): return b
        case .uniform(let m):
            let out = FloatBuffer(count: batch * layout.count)
            let s = layout.spatial
            for n in 0..<batch {
                for c in 0..<layout.channels {
                    (out.pointer + n * layout.count + c * s).update(from: m.pointer + n * s, count: s)
                }
            }
            return out
        case .channelSum:
            // Only created for values whose every path to the input collapses channels.
            preconditionFailure("internal error: a channel-summed relevance cannot be split into channels")
        }
    }

    /// The full tensor as a Swift array (one pass: uniform maps are written straight into it).
    func array(_ layout: ValueLayout, batch: Int) -> [Float] {
        let total = batch * layout.count
        switch self {
        case .full(let b):
            return Array(UnsafeBufferPointer(start: b.pointer, count: total))
        case .uniform(let m):
            let s = layout.spatial
            return [Float](unsafeUninitializedCapacity: total) { out, initialized in
                let base = out.baseAddress!
                for n in 0..<batch {
                    for c in 0..<layout.channels {
                        (base + n * layout.count + c * s).initialize(from: m.pointer + n * s, count: s)
                    }
                }
                initialized = total
            }
        case .channelSum:
            preconditionFailure("internal error: a channel-summed relevance cannot be split into channels")
        }
    }

    /// The per-sample channel sums `[N, spatial]`.
    func channelSummed(_ layout: ValueLayout, batch: Int) -> FloatBuffer {
        switch self {
        case .channelSum(let s): return s
        case .uniform(let m):
            let out = FloatBuffer(count: m.count)
            lrp_scale(m.pointer, Float(layout.channels), out.pointer, m.count)
            return out
        case .full(let b):
            let s = layout.spatial
            let out = FloatBuffer(count: batch * s)
            for n in 0..<batch {
                let dst = out.pointer + n * s, src = b.pointer + n * layout.count
                dst.update(from: src, count: s)
                for c in 1..<max(layout.channels, 1) { lrp_accumulate(src + c * s, dst, s) }
            }
            return out
        }
    }

    /// Sum of two relevances of the same value (a value read by several layers). Always a new
    /// buffer: the operands may be shared with a snapshot of the cut-off sweep.
    static func sum(_ a: Relevance, _ b: Relevance, layout: ValueLayout, batch: Int) -> Relevance {
        switch (a, b) {
        case (.uniform(let x), .uniform(let y)):
            let out = x.copy()
            lrp_accumulate(y.pointer, out.pointer, x.count)
            return .uniform(out)
        case (.channelSum, _), (_, .channelSum):
            let x = a.channelSummed(layout, batch: batch), y = b.channelSummed(layout, batch: batch)
            let out = FloatBuffer(count: x.count)
            lrp_add(x.pointer, y.pointer, out.pointer, x.count)
            return .channelSum(out)
        default:
            let x = a.materialized(layout, batch: batch), y = b.materialized(layout, batch: batch)
            let out = FloatBuffer(count: x.count)
            lrp_add(x.pointer, y.pointer, out.pointer, x.count)
            return .full(out)
        }
    }

    /// Whether every value is finite.
    var isFinite: Bool {
        switch self {
        case .full(let b), .uniform(let b), .channelSum(let b):
            return lrp_all_finite(b.pointer, b.count) != 0
        }
    }

    /// `s × R` in the same representation.
    func scaled(_ s: Float) -> Relevance {
        switch self {
        case .full(let b): return .full(Relevance.scale(b, s))
        case .uniform(let b): return .uniform(Relevance.scale(b, s))
        case .channelSum(let b): return .channelSum(Relevance.scale(b, s))
        }
    }

    private static func scale(_ b: FloatBuffer, _ s: Float) -> FloatBuffer {
        let out = FloatBuffer(count: b.count)
        lrp_scale(b.pointer, s, out.pointer, b.count)
        return out
    }

    /// The same kind of relevance with a new per-sample map (for operations on single maps).
    func withMap(_ m: FloatBuffer) -> Relevance {
        switch self {
        case .channelSum: return .channelSum(m)
        default: return .uniform(m)
        }
    }
}

/// What every engine stage needs besides its data: batch size, scratch memory, and whether it
/// may use the worker threads (a sweep runs its flat walks in parallel, each one serially).
struct EngineContext {
    let batch: Int
    let workspace: Workspace
    let serial: Bool
    /// Budget in floats for the temporaries of one relevance step that works on the batch in
    /// chunks of samples (`SampleChunks`).
    var chunkFloats = SampleChunks.defaultBudget

    /// The same context for `samples` samples (one chunk of the batch).
    func chunk(_ samples: Int) -> EngineContext {
        EngineContext(batch: samples, workspace: workspace, serial: serial, chunkFloats: chunkFloats)
    }
}
