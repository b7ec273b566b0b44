import CKernels
import Foundation
import LRPCore

/// A rows × columns matrix of float16 values (one Fisher vector per row) held in a memory
/// map, so that training data larger than comfortable in RAM stays bounded: with a scratch
/// directory the map is a file (unlinked at once, so it disappears with the process even on a
/// crash) and the kernel's page cache decides what stays resident; without one it is
/// anonymous memory. Rows are written once each (from several threads, distinct rows) and
/// then read many times.
public final class HalfRowStore: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    private let base: UnsafeMutablePointer<UInt16>
    private let byteCount: Int

    /// - Parameter scratchDirectory: where to put the backing file; nil for anonymous memory.
    /// - Throws: `LRPError` if the file cannot be created or sized (e.g. disk full) or the map fails.
    public init(rows: Int, columns: Int, scratchDirectory: URL?) throws {
        precondition(rows >= 0 && columns > 0)
        self.rows = rows
        self.columns = columns
        byteCount = max(1, rows * columns * 2)
        var fd: Int32 = -1
        if let dir = scratchDirectory {
            try AtomicFile.ensureDirectory(dir)
            var template = Array(dir.appendingPathComponent("lrp-fv-vectors-XXXXXX").path.utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else {
                throw LRPError("cannot create a scratch file in \(dir.path): \(String(cString: strerror(errno)))")
            }
            unlink(String(cString: template))
            guard ftruncate(fd, off_t(byteCount)) == 0 else {
                let reason = String(cString: strerror(errno)); close(fd)
                throw LRPError("cannot size a \(byteCount >> 20) MB scratch file in \(dir.path): \(reason)")
            }
        }
        let flags = fd >= 0 ? MAP_SHARED : (MAP_PRIVATE | MAP_ANONYMOUS)
        let p = mmap(nil, byteCount, PROT_READ | PROT_WRITE, flags, fd, 0)
        if fd >= 0 { close(fd) }
        guard let p, p != MAP_FAILED else {
            throw LRPError("cannot map \(byteCount >> 20) MB for the training vectors: \(String(cString: strerror(errno)))")
        }
        base = p.bindMemory(to: UInt16.self, capacity: rows * columns)
    }

    deinit { munmap(base, byteCount) }

    /// Stores float32 values (rounded to float16) as row `r`.
    public func setRow(_ r: Int, from values: UnsafePointer<Float>) {
        precondition(r >= 0 && r < rows)
        lrp_half_from_float(values, base + r * columns, columns)
    }

    /// Row `r` as float16 bit patterns (`columns` of them).
    public func row(_ r: Int) -> UnsafePointer<UInt16> {
        UnsafePointer(base + r * columns)
    }

    /// Converts `count` columns starting at `column` of row `r` to float32.
    @inline(__always)
    public func copy(row r: Int, columns range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        lrp_half_to_float(base + r * columns + range.lowerBound, out, range.count)
    }
}

extension HalfRowStore {
    /// Stores float16 bit patterns as row `r` unchanged (rows read from encoded shards).
    public func setRow(_ r: Int, halfBits: UnsafePointer<UInt16>) {
        precondition(r >= 0 && r < rows)
        UnsafeMutablePointer(mutating: row(r)).update(from: halfBits, count: columns)
    }
}
