import Foundation
import LRPCore

/// A manually allocated float array: a stable pointer that the C kernels and several threads can
/// write through (disjoint ranges) without Swift's copy-on-write or exclusivity checks.
/// Buffers handed between engine stages are never mutated after they are published, so they can
/// be shared (forward activations, relevance snapshots of the cut-off sweep).
/// Large buffers come from and return to `BufferPool`, so that repeated layers and repeated
/// explanations reuse memory instead of paying page faults on fresh allocations.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let capacity: Int
    /// The buffer a view points into (kept alive by the view); nil for a buffer that owns its memory.
    private let base: FloatBuffer?

    init(count: Int) {
        self.count = count
        (pointer, capacity) = BufferPool.shared.take(count)
        base = nil
    }

    /// The samples `samples` of a batch buffer with `perSample` floats per sample, without a copy:
    /// a relevance step that works on part of the batch at a time reads and writes through it.
    init(samples: Range<Int>, of buffer: FloatBuffer, perSample: Int) {
        precondition(samples.lowerBound >= 0 && samples.upperBound * perSample <= buffer.count, "view out of range")
        count = samples.count * perSample
        pointer = buffer.pointer + samples.lowerBound * perSample
        capacity = 0
        base = buffer
    }

    convenience init(zeros count: Int) {
        self.init(count: count)
        pointer.update(repeating: 0, count: count)
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(count: count)
        pointer.update(repeating: value, count: count)
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { if base == nil { BufferPool.shared.give(pointer, capacity: capacity) } }

    subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    func copy() -> FloatBuffer {
        let b = FloatBuffer(count: count)
        b.pointer.update(from: pointer, count: count)
        return b
    }
}

/// Recycles large float blocks by size class (steps of 2^(1/4), ≤ 19 % slack). Freed blocks are
/// kept up to `limitFloats` in total and handed out again; small blocks go straight to malloc.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Below this size malloc's own free lists are fast enough.
    static let minimumPooled = 16_384
    /// At most this many floats (32 MiB) are kept for reuse: a batch-1 explanation of
    /// MobileNetV2 recycles nearly everything; larger batches re-allocate part of their buffers.
    /// Every cached block counts in the process's memory on top of what the engine holds, so
    /// the cap is part of the peak (256 MiB cost about 250 MB of peak RSS at batch 8).
    var limitFloats = 1 << 23

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedFloats = 0

    /// Capacity of the size class of `count` (blocks are filed under their capacity).
    private static func classCapacity(_ count: Int) -> Int {
        let index = (log2(Double(count)) * 4).rounded(.up)
        return max(count, Int(pow(2, index / 4).rounded(.up)))
    }

    func take(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        let n = max(count, 1)
        guard n >= Self.minimumPooled else { return (.allocate(capacity: n), n) }
        let capacity = Self.classCapacity(n)
        lock.lock()
        if let p = free[capacity]?.popLast() {
            cachedFloats -= capacity
            lock.unlock()
            return (p, capacity)
        }
        lock.unlock()
        return (.allocate(capacity: capacity), capacity)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        guard capacity >= Self.minimumPooled else { pointer.deallocate(); return }
        lock.lock()
        if cachedFloats + capacity <= limitFloats {
            free[capacity, default: []].append(pointer)
            cachedFloats += capacity
            lock.unlock()
        } else {
            lock.unlock()
            pointer.deallocate()
        }
    }

    /// Returns every cached block to the system.
    func drain() {
        lock.lock()
        let blocks = free.values.flatMap { $0 }
        free = [:]
        cachedFloats = 0
        lock.unlock()
        blocks.forEach { $0.deallocate() }
    }
}

/// Per-worker scratch memory of one forward pass or one explanation (im2col/col2im blocks),
/// grown on demand and reused across layers so the hot path does not allocate.
final class Workspace: @unchecked Sendable {
    private var slots: [FloatBuffer?]

    init(slots: Int = Parallel.workerCount) {
        self.slots = Array(repeating: nil, count: max(1, slots))
    }

    /// Grows every slot to at least `floats` (call before a parallel section, never inside one).
    func reserve(_ floats: Int) {
        guard floats > 0 else { return }
        for i in slots.indices where (slots[i]?.count ?? 0) < floats {
            slots[i] = FloatBuffer(count: floats)
        }
    }

    /// The scratch buffer of worker slot `slot` (reserved before).
    func pointer(_ slot: Int) -> (UnsafeMutablePointer<Float>?, Int) {
        guard let b = slots[slot] else { return (nil, 0) }
        return (b.pointer, b.count)
    }
}
