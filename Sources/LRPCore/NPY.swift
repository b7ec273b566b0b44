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
        // header and data in one buffer, allocated once (written with one call)
        var out = Data(capacity: 10 + header.utf8.count + 4 * array.data.count)
        out.append(contentsOf: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
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
    /// Fortran-order arrays are reordered to C order.
    /// - Throws: `LRPError` naming the file for anything it cannot read (bad magic, a header that
    ///   breaks the format's grammar, big-endian or unsupported dtype, truncated data).
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
        let (kind, fortran, shape) = try parseHeader(header)
        // Checked product (in order, as NDArray computes it): a hostile shape is an error, not a trap.
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw LRPError("shape \(shape) is too large") }
            count = p
        }
        let payload = headerStart + headerLength
        let itemSize: Int
        switch kind {
        case "<f4", "<i4", "<u4": itemSize = 4
        case "<f8", "<i8", "<u8": itemSize = 8
        case "<f2", "<i2", "<u2": itemSize = 2
        case "|u1", "|i1", "|b1": itemSize = 1
        default: throw LRPError("unsupported dtype \(kind) (expected little-endian float or integer)")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow else { throw LRPError("shape \(shape) is too large") }
        guard bytes.count - payload >= needed else {
            throw LRPError("truncated data: shape \(shape) needs \(needed) bytes, file has \(bytes.count - payload)")
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
        if fortran && shape.count > 1 { values = cOrder(values, fortranShape: shape) }
        return NDArray(shape: shape, data: values)
    }

    /// Reorders the values of a Fortran-order (first index fastest) array to C order.
    private static func cOrder(_ values: [Float], fortranShape shape: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        for c in out.indices {
            var f = 0, stride = 1
            for k in shape.indices { f += index[k] * stride; stride *= shape[k] }
            out[c] = values[f]
            var k = shape.count - 1
            while k >= 0 { index[k] += 1; if index[k] < shape[k] { break }; index[k] = 0; k -= 1 }
        }
        return out
    }

    /// Parses the header dict per the format's grammar: a Python literal
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` holding exactly these three
    /// keys once each, followed only by padding. Returns (descr, fortran_order, shape).
    static func parseHeader(_ header: String) throws -> (String, Bool, [Int]) {
        let chars = Array(header.unicodeScalars)
        var i = 0
        func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r" { i += 1 } }
        func fail(_ what: String) -> LRPError { LRPError("malformed .npy header: \(what)") }
        func expect(_ c: Unicode.Scalar, _ what: String) throws {
            skipSpace()
            guard i < chars.count, chars[i] == c else { throw fail("expected \(what)") }
            i += 1
        }
        func string() throws -> String {
            skipSpace()
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw fail("expected a quoted string") }
            let quote = chars[i]
            i += 1
            var out = String.UnicodeScalarView()
            while i < chars.count, chars[i] != quote {
                guard chars[i] != "\\" else { throw fail("escapes in strings are not supported") }
                out.append(chars[i]); i += 1
            }
            guard i < chars.count else { throw fail("unterminated string") }
            i += 1
            return String(out)
        }
        func word() -> String {
            skipSpace()
            var out = ""
            while i < chars.count, chars[i].properties.isAlphabetic || ("0"..."9").contains(chars[i]) { out.unicodeScalars.append(chars[i]); i += 1 }
            return out
        }
        func shape() throws -> [Int] {
            try expect("(", "'(' starting the shape tuple")
            var dims: [Int] = []
            while true {
                skipSpace()
                if i < chars.count, chars[i] == ")" { i += 1; break }
                var text = word()
                if text.hasSuffix("L") { text.removeLast() }  // Python 2 long
                guard !text.isEmpty, text.allSatisfy(\.isASCII), let d = Int(text), d >= 0 else {
                    throw fail("shape entries must be non-negative integers")
                }
                dims.append(d)
                skipSpace()
                if i < chars.count, chars[i] == "," { i += 1; continue }
                guard i < chars.count, chars[i] == ")" else { throw fail("shape entries must be non-negative integers") }
                // "(3)" is an integer in Python, not a tuple: only "(a, b)" closes without a comma.
                guard dims.count > 1 else { throw fail("a one-dimensional shape is written (n,)") }
                i += 1
                break
            }
            return dims
        }
        var descr: String?, fortran: Bool?, dims: [Int]?
        try expect("{", "'{' starting the header dict")
        while true {
            skipSpace()
            if i < chars.count, chars[i] == "}" { i += 1; break }
            let key = try string()
            try expect(":", "':' after '\(key)'")
            switch key {
            case "descr":
                guard descr == nil else { throw fail("key 'descr' given twice") }
                skipSpace()
                guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else {
                    throw LRPError("unsupported dtype (structured arrays are not supported)")
                }
                descr = try string()
            case "fortran_order":
                guard fortran == nil else { throw fail("key 'fortran_order' given twice") }
                switch word() {
                case "True": fortran = true
                case "False": fortran = false
                default: throw fail("fortran_order must be True or False")
                }
            case "shape":
                guard dims == nil else { throw fail("key 'shape' given twice") }
                dims = try shape()
            default:
                throw fail("unknown key '\(key)' (expected descr, fortran_order, shape)")
            }
            skipSpace()
            if i < chars.count, chars[i] == "," { i += 1; continue }
            try expect("}", "',' or '}' after the value of '\(key)'")
            break
        }
        skipSpace()
        guard i == chars.count else { throw fail("text after the header dict") }
        guard let descr else { throw fail("no descr") }
        guard let fortran else { throw fail("no fortran_order") }
        guard let dims else { throw fail("no shape") }
        return (descr, fortran, dims)
    }
}
