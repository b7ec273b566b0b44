import Foundation

/// A float32 array with a shape, as stored in NumPy `.npy` files (C order).
public struct NDArray: Equatable, Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public var count: Int { data.count }
}

/// Reading and writing NumPy `.npy` files (format versions 1–3). Writes float32 little-endian,
/// C order, version 1.0, so `numpy.load` reads every file the toolkit produces.
public enum NPY {
    /// Encodes an array as `.npy` bytes.
    public static func encode(_ array: NDArray) -> Data {
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let len = UInt16(header.utf8.count)
        out.append(UInt8(len & 0xFF))
        out.append(UInt8(len >> 8))
        out.append(contentsOf: Array(header.utf8))
        array.data.withUnsafeBufferPointer { buf in
            out.append(UnsafeBufferPointer(start: UnsafeRawPointer(buf.baseAddress!)
                .assumingMemoryBound(to: UInt8.self), count: buf.count * 4))
        }
        return out
    }

    /// Writes an array atomically (temporary file, then rename).
    public static func write(_ array: NDArray, to url: URL) throws {
        try AtomicFile.write(encode(array), to: url)
    }

    /// Reads a `.npy` file of float32, float64, integer or boolean type into float32.
    /// - Throws: `LRPError` naming the file for anything it cannot read (bad magic, Fortran
    ///   order, big-endian or unsupported dtype, truncated data).
    public static func read(_ url: URL) throws -> NDArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LRPError("cannot read \(url.path): no such file or not readable")
        }
        do { return try decode(data) } catch let e as LRPError {
            throw LRPError("\(url.path): \(e.message)")
        }
    }

    public static func decode(_ data: Data) throws -> NDArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw LRPError("not a NumPy .npy file")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw LRPError("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw LRPError("unsupported .npy version \(major)")
        }
        guard bytes.count >= headerStart + headerLength,
              let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8)
        else { throw LRPError("truncated .npy header") }
        let descr = try field("descr", in: header)
        let fortran = try field("fortran_order", in: header)
        let shapeText = try field("shape", in: header)
        if fortran.hasPrefix("True") { throw LRPError("Fortran-order arrays are not supported; save with C order") }
        let shape = try parseShape(shapeText)
        let count = shape.reduce(1, *)
        let payload = headerStart + headerLength
        let kind = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        let itemSize: Int
        switch kind {
        case "<f4", "<i4", "<u4": itemSize = 4
        case "<f8", "<i8", "<u8": itemSize = 8
        case "<f2", "<i2", "<u2": itemSize = 2
        case "|u1", "|i1", "|b1": itemSize = 1
        default: throw LRPError("unsupported dtype \(kind) (expected little-endian float or integer)")
        }
        guard bytes.count - payload >= count * itemSize else {
            throw LRPError("truncated data: shape \(shape) needs \(count * itemSize) bytes, file has \(bytes.count - payload)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!.advanced(by: payload)
            for i in 0..<count {
                let p = base.advanced(by: i * itemSize)
                switch kind {
                case "<f4": values[i] = p.loadUnaligned(as: Float.self)
                case "<f8": values[i] = Float(p.loadUnaligned(as: Double.self))
                case "<f2": values[i] = Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self)))
                case "<i4": values[i] = Float(p.loadUnaligned(as: Int32.self))
                case "<u4": values[i] = Float(p.loadUnaligned(as: UInt32.self))
                case "<i8": values[i] = Float(p.loadUnaligned(as: Int64.self))
                case "<u8": values[i] = Float(p.loadUnaligned(as: UInt64.self))
                case "<i2": values[i] = Float(p.loadUnaligned(as: Int16.self))
                case "<u2": values[i] = Float(p.loadUnaligned(as: UInt16.self))
                case "|i1": values[i] = Float(p.load(as: Int8.self))
                default: values[i] = Float(p.load(as: UInt8.self))
                }
            }
        }
        return NDArray(shape: shape, data: values)
    }

    private static func field(_ key: String, in header: String) throws -> String {
        guard let r = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else {
            throw LRPError("malformed .npy header (no \(key))")
        }
        var rest = header[r.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { throw LRPError("malformed .npy shape") }
            return String(rest[...close])
        }
        if let end = rest.firstIndex(of: ",") { rest = rest[..<end] } else if let end = rest.firstIndex(of: "}") { rest = rest[..<end] }
        return String(rest).trimmingCharacters(in: .whitespaces)
    }

    private static func parseShape(_ text: String) throws -> [Int] {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        if inner.isEmpty { return [] }
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if t.isEmpty { continue }
            guard let d = Int(t), d >= 0 else { throw LRPError("malformed .npy shape \(text)") }
            dims.append(d)
        }
        return dims
    }
}
