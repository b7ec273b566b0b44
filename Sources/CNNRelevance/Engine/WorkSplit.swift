import LRPCore

/// How the engine spreads one layer's work over the cores: tasks are (sample, part) pairs,
/// grouped into at most `Parallel.workerCount` contiguous chunks; each chunk runs its tasks in
/// order with its own workspace slot. With batch 1 each sample is cut into parts (output rows,
/// channels or features), with larger batches whole samples are dealt out.
enum WorkSplit {
    static var workers: Int { Parallel.workerCount }

    /// Parts per sample so that batch × parts divides evenly over the workers.
    static func parts(batch: Int, extent: Int) -> Int {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let p = workers / gcd(max(batch, 1), workers)
        return max(1, min(p, extent))
    }

    /// The `part`-th of `parts` near-equal contiguous pieces of `0..<extent`.
    static func range(_ part: Int, of parts: Int, extent: Int) -> Range<Int> {
        let base = extent / parts, extra = extent % parts
        let start = part * base + min(part, extra)
        return start..<(start + base + (part < extra ? 1 : 0))
    }

    /// Runs `body(sample, range, slot)` for every sample and every part of `0..<extent`.
    static func run(batch: Int, extent: Int, serial: Bool = false,
                    _ body: (_ sample: Int, _ range: Range<Int>, _ slot: Int) -> Void) {
        let p = serial ? 1 : parts(batch: batch, extent: extent)
        let tasks = batch * p
        if tasks == 0 { return }
        let chunks = serial ? 1 : min(workers, tasks)
        Parallel.forEach(chunks) { c in
            for t in range(c, of: chunks, extent: tasks) {
                let sample = t / p, part = t % p
                let r = range(part, of: p, extent: extent)
                if !r.isEmpty { body(sample, r, c) }
            }
        }
    }

    /// Runs `body(range)` over chunks of a flat element range (elementwise kernels).
    static func elementwise(_ count: Int, serial: Bool = false, _ body: (Range<Int>) -> Void) {
        if serial || count < 32_768 { body(0..<count); return }
        Parallel.forChunks(count, minChunk: 16_384, body)
    }
}
