/// Splits a batch into chunks of consecutive samples so that a relevance step's temporaries
/// (alpha-beta's `[w⁺x; w⁻x]` and `[a; b]`, twice the layer's output) stay within a budget
/// instead of growing with the batch (docs/DESIGN.md §2.7). Each sample's arithmetic is the
/// same in every chunk, so the chunking does not change the result beyond float rounding of
/// the kernels' own work split.
struct SampleChunks {
    /// 8 Mi floats (32 MiB): one sample's alpha-beta temporaries on MobileNetV2's largest layer
    /// (7.5 Mi floats) fit, and a chunk's buffers fit the pool's 32 MiB, so the next chunk reuses
    /// them instead of faulting in fresh pages.
    static let defaultBudget = 1 << 23

    let ranges: [Range<Int>]

    /// - Parameters:
    ///   - floatsPerSample: temporaries of one sample.
    ///   - budget: floats the temporaries of one chunk may take (at least one sample per chunk).
    init(batch: Int, floatsPerSample: Int, budget: Int) {
        let fit = max(1, budget / max(floatsPerSample, 1))
        guard fit < batch else {
            ranges = batch > 0 ? [0..<batch] : []
            return
        }
        // as many chunks as needed, as even as possible (8 samples at most 3 each: 3, 3, 2)
        let chunks = (batch + fit - 1) / fit
        ranges = (0..<chunks).map { WorkSplit.range($0, of: chunks, extent: batch) }
    }
}
