import Foundation
import LRPCore
import ONNXProto

/// Decodes an ONNX `TensorProto` (initializer, Constant value, attribute tensor) into a
/// `ConstTensor`. Every size is checked against the declared dims before any element is read,
/// so a malformed file gives an `LRPError`, never an out-of-bounds read.
enum TensorDecoding {
    /// ONNX `TensorProto.DataType` codes the importer reads.
    enum ElementType: Int32 {
        case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7
        case bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13

        var byteSize: Int {
            switch self {
            case .uint8, .int8, .bool: return 1
            case .uint16, .int16, .float16: return 2
            case .float, .int32, .uint32: return 4
            case .int64, .double, .uint64: return 8
            }
        }

        var isFloatingPoint: Bool { self == .float || self == .float16 || self == .double }
    }

    /// Largest tensor the importer accepts (elements); far above any CNN layer, far below
    /// what a corrupt dims field could ask for.
    static let maxElements = 1 << 31

    /// - Parameters:
    ///   - externalDirectory: directory of the model file, for tensors stored externally.
    static func decode(_ t: Onnx_TensorProto, what: String, externalDirectory: URL?) throws -> ConstTensor {
        var shape: [Int] = []
        for d in t.dims {
            guard d >= 0, d <= Int64(maxElements) else {
                throw LRPError("\(what) has an invalid dimension \(d)")
            }
            shape.append(Int(d))
        }
        guard let count = ShapeMath.count(shape, limit: maxElements) else {
            throw LRPError("\(what) is too large (dims \(t.dims))")
        }
        guard let type = ElementType(rawValue: t.dataType) else {
            throw LRPError("\(what) has unsupported data type \(dataTypeName(t.dataType))")
        }

        if t.dataLocation == .external {
            let bytes = try externalBytes(t, what: what, directory: externalDirectory, needed: count * type.byteSize)
            return try fromRaw(bytes, type: type, shape: shape, count: count, what: what)
        }
        if t.hasRawData {
            return try fromRaw(t.rawData, type: type, shape: shape, count: count, what: what)
        }
        return try fromTyped(t, type: type, shape: shape, count: count, what: what)
    }

    private static func fromRaw(_ raw: Data, type: ElementType, shape: [Int], count: Int, what: String) throws -> ConstTensor {
        guard raw.count == count * type.byteSize else {
            throw LRPError("\(what) holds \(raw.count) bytes of data but its shape \(ShapeMath.describe(shape)) of \(type) needs \(count * type.byteSize)")
        }
        return raw.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> ConstTensor in
            func load<T>(_ i: Int, _: T.Type) -> T { buf.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self) }
            switch type {
            case .float:
                return ConstTensor(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(littleEndian: load($0, UInt32.self))) })
            case .double:
                return ConstTensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: load($0, UInt64.self)))) })
            case .float16:
                return ConstTensor(shape: shape, floats: (0..<count).map { halfToFloat(UInt16(littleEndian: load($0, UInt16.self))) })
            case .int64:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(littleEndian: load($0, Int64.self)) })
            case .uint64:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(clamping: UInt64(littleEndian: load($0, UInt64.self))) })
            case .int32:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(Int32(littleEndian: load($0, Int32.self))) })
            case .uint32:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(UInt32(littleEndian: load($0, UInt32.self))) })
            case .int16:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(Int16(littleEndian: load($0, Int16.self))) })
            case .uint16:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(UInt16(littleEndian: load($0, UInt16.self))) })
            case .int8:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(load($0, Int8.self)) })
            case .uint8, .bool:
                return ConstTensor(shape: shape, ints: (0..<count).map { Int64(load($0, UInt8.self)) })
            }
        }
    }

    private static func fromTyped(_ t: Onnx_TensorProto, type: ElementType, shape: [Int], count: Int, what: String) throws -> ConstTensor {
        func check(_ n: Int, _ field: String) throws {
            guard n == count else {
                throw LRPError("\(what) has \(n) values in \(field) but its shape \(ShapeMath.describe(shape)) needs \(count)")
            }
        }
        switch type {
        case .float:
            try check(t.floatData.count, "float_data")
            return ConstTensor(shape: shape, floats: t.floatData)
        case .double:
            try check(t.doubleData.count, "double_data")
            return ConstTensor(shape: shape, floats: t.doubleData.map { Float($0) })
        case .float16:
            try check(t.int32Data.count, "int32_data")
            return ConstTensor(shape: shape, floats: t.int32Data.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) })
        case .int64:
            try check(t.int64Data.count, "int64_data")
            return ConstTensor(shape: shape, ints: t.int64Data)
        case .int32, .int16, .int8, .uint16, .uint8, .bool:
            try check(t.int32Data.count, "int32_data")
            return ConstTensor(shape: shape, ints: t.int32Data.map { Int64($0) })
        case .uint32, .uint64:
            try check(t.uint64Data.count, "uint64_data")
            return ConstTensor(shape: shape, ints: t.uint64Data.map { Int64(clamping: $0) })
        }
    }

    /// The external data file `location`, which must stay inside the model's folder: a relative
    /// path without `..` components, and no symbolic link along it leading out of the folder
    /// (a model file must not make the tool read arbitrary files).
    static func containedFile(_ location: String, in directory: URL, what: String) throws -> URL {
        let parts = location.split(separator: "/", omittingEmptySubsequences: false)
        guard !location.hasPrefix("/"), !location.contains("\\"), !location.contains("\0"),
              !parts.contains(where: { $0 == ".." }) else {
            throw LRPError("\(what): external data location '\(location)' is outside the model's folder (only relative paths inside it are allowed)")
        }
        let root = directory.resolvingSymlinksInPath().standardizedFileURL.path
        let url = directory.appendingPathComponent(location)
        let resolved = url.resolvingSymlinksInPath().standardizedFileURL.path
        guard resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw LRPError("\(what): external data location '\(location)' leads outside the model's folder")
        }
        return url
    }

    /// Reads the bytes of a tensor stored outside the model file (`location`, `offset`, `length`).
    private static func externalBytes(_ t: Onnx_TensorProto, what: String, directory: URL?, needed: Int) throws -> Data {
        var entries: [String: String] = [:]
        for e in t.externalData { entries[e.key] = e.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw LRPError("\(what) is stored externally but names no location")
        }
        guard let directory else {
            throw LRPError("\(what) is stored in an external file '\(location)'; load the model from a file path")
        }
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].map { Int($0) ?? -1 } ?? needed
        guard offset >= 0, length == needed else {
            throw LRPError("\(what) has an invalid external offset or length (needs \(needed) bytes)")
        }
        let url = try containedFile(location, in: directory, what: what)
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let fileSize, offset <= fileSize, length <= fileSize - offset else {
            throw LRPError("\(what): its external data file \(url.path) is missing or too short")
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw LRPError("\(what): cannot read its external data file \(url.path)")
        }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: length) ?? Data()
            guard data.count == length else {
                throw LRPError("\(what): external data file \(url.path) is too short")
            }
            return data
        } catch let e as LRPError {
            throw e
        } catch {
            throw LRPError("\(what): cannot read its external data file \(url.path)")
        }
    }

    /// IEEE 754 half → single precision (handles subnormals, infinities and NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            let value = Float(mantissa) * Float(pow(2.0, -24.0))
            return sign != 0 ? -value : value
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    static func dataTypeName(_ code: Int32) -> String {
        switch code {
        case 0: return "UNDEFINED"
        case 8: return "STRING"
        case 14: return "COMPLEX64"
        case 15: return "COMPLEX128"
        case 16: return "BFLOAT16"
        default:
            if let t = ElementType(rawValue: code) { return "\(t)".uppercased() }
            return "code \(code)"
        }
    }
}
