import Foundation
import LRPCore

/// A file of named tensors plus a string-to-string metadata map in the safetensors layout
/// (https://github.com/huggingface/safetensors), so `safetensors.numpy.load_file` or a few
/// lines of plain Python read it:
///
///     [8 bytes: header length N, unsigned little-endian]
///     [N bytes: UTF-8 JSON {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
///                           ..., "__metadata__": {"key": "value", ...}}]
///     [data: raw little-endian tensors; offsets are relative to the start of this block]
///
/// Tensors are stored in name order, back to back, with no gaps (as the reference writer does).
public struct SafeTensors: Sendable {
    /// Element types the toolkit stores.
    public enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", i32 = "I32"
        public var size: Int { self == .f16 ? 2 : 4 }
    }

    public struct Tensor: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        /// Raw little-endian bytes, `shape.product * dtype.size` of them.
        public var bytes: Data

        public init(dtype: DType, shape: [Int], bytes: Data) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// A float32 tensor.
        public init(shape: [Int], floats: [Float]) {
            precondition(shape.reduce(1, *) == floats.count)
            self.init(dtype: .f32, shape: shape, bytes: floats.withUnsafeBytes { Data($0) })
        }

        /// A float16 tensor made from float32 values (rounded to nearest even).
        public init(shape: [Int], halfFrom floats: [Float]) {
            precondition(shape.reduce(1, *) == floats.count)
            let halves = HalfPrecision.encode(floats)
            self.init(dtype: .f16, shape: shape, bytes: halves.withUnsafeBytes { Data($0) })
        }

        public var count: Int { shape.reduce(1, *) }

        /// The values as float32 (F16 and I32 converted).
        public func floats() -> [Float] {
            let n = count
            switch dtype {
            case .f32:
                return bytes.withUnsafeBytes { raw in (0..<n).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
            case .i32:
                return bytes.withUnsafeBytes { raw in (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) } }
            case .f16:
                let halves: [UInt16] = bytes.withUnsafeBytes { raw in (0..<n).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) } }
                return HalfPrecision.decode(halves)
            }
        }
    }

    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    // MARK: writing

    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        var payload = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let begin = payload.count
            payload.append(t.bytes)
            header[name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [begin, payload.count]] as [String: Any]
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json: Data
        do { json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) } catch {
            throw LRPError("cannot encode the model header: \(error.localizedDescription)")
        }
        // Pad the header with spaces to a multiple of 8 so the data block is aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + payload.count)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(payload)
        return out
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }

    // MARK: reading

    /// Reads and validates a file. Every inconsistency (truncation, offsets outside the data,
    /// size not matching dtype × shape, overlapping tensors, bad JSON) is an `LRPError` naming it.
    public static func read(_ url: URL) throws -> SafeTensors {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw LRPError("cannot read model file \(url.path): no such file or not readable")
        }
        do { return try decode(data) } catch let e as LRPError {
            throw LRPError("model file \(url.path): \(e.message)")
        }
    }

    public static func decode(_ data: Data) throws -> SafeTensors {
        guard data.count >= 8 else { throw LRPError("truncated (shorter than the 8-byte header length)") }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw LRPError("truncated: header of \(headerLength) bytes but only \(data.count - 8) bytes follow")
        }
        let start = data.startIndex
        let headerBytes = data[(start + 8)..<(start + 8 + Int(headerLength))]
        guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)),
              let header = object as? [String: Any] else {
            throw LRPError("not a safetensors file (header is not a JSON object)")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = data.count - dataStart
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw LRPError("__metadata__ is not a string map") }
                for (k, v) in map {
                    guard let s = v as? String else { throw LRPError("metadata \(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtypeName = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any],
                  let offsetsAny = entry["data_offsets"] as? [Any], offsetsAny.count == 2 else {
                throw LRPError("tensor \(name): malformed header entry")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw LRPError("tensor \(name): unsupported dtype \(dtypeName) (expected F32, F16 or I32)")
            }
            let shape = try shapeAny.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else { throw LRPError("tensor \(name): bad shape") }
                return n
            }
            let offsets = try offsetsAny.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else { throw LRPError("tensor \(name): bad data_offsets") }
                return n
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end else { throw LRPError("tensor \(name): data_offsets out of order") }
            guard end <= dataLength else {
                throw LRPError("truncated: tensor \(name) ends at byte \(end) of the data but the file holds \(dataLength)")
            }
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw LRPError("tensor \(name): shape too large") }
                count = p
            }
            // Checked: a wrapped product could match a small byte range and read past it later.
            let (size, sizeOverflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !sizeOverflow, size == end - begin else {
                throw LRPError("tensor \(name): \(end - begin) bytes do not hold shape \(shape) of \(dtype.rawValue)")
            }
            ranges.append((begin, end, name))
            let bytes = Data(data[(start + dataStart + begin)..<(start + dataStart + end)])
            tensors[name] = Tensor(dtype: dtype, shape: shape, bytes: bytes)
        }
        ranges.sort { $0.0 < $1.0 }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 {
            throw LRPError("tensors \(ranges[i - 1].2) and \(ranges[i].2) overlap")
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// The tensor `name` with exactly `shape`, or an error naming what is wrong.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors[name] else { throw LRPError("missing tensor \(name)") }
        guard t.shape == shape else {
            throw LRPError("tensor \(name) has shape \(t.shape), expected \(shape)")
        }
        return t
    }
}
