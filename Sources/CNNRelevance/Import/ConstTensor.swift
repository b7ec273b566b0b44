/// A tensor whose value is known at import time: an initializer, a `Constant` node, or the
/// result of folding a constant sub-graph (Shape → Gather → Unsqueeze → Concat → Reshape, ...).
///
/// Floating-point data is kept as `Float`, integer data as `Int64`. Shapes of runtime values
/// include the batch size, which is unknown at import time; elements derived from it are
/// tracked in `batchElements` so that a folded Reshape target can recognise "the batch size".
struct ConstTensor {
    enum Storage {
        case float([Float])
        case int([Int64])
    }

    var shape: [Int]
    var storage: Storage
    /// Flat indices of integer elements that stand for the (unknown) batch size.
    var batchElements: Set<Int> = []
    /// Flat indices of elements computed from the batch size by arithmetic: their value is not
    /// known at import time, so they must not end up in a shape.
    var unknownElements: Set<Int> = []

    init(shape: [Int], floats: [Float]) {
        self.shape = shape
        self.storage = .float(floats)
    }

    init(shape: [Int], ints: [Int64], batchElements: Set<Int> = []) {
        self.shape = shape
        self.storage = .int(ints)
        self.batchElements = batchElements
    }

    var count: Int {
        switch storage {
        case .float(let f): return f.count
        case .int(let i): return i.count
        }
    }

    var isInteger: Bool {
        if case .int = storage { return true }
        return false
    }

    var floats: [Float] {
        switch storage {
        case .float(let f): return f
        case .int(let i): return i.map { Float($0) }
        }
    }

    /// Integer view; floats are truncated toward zero (as ONNX Cast does), clamped to Int64.
    var ints: [Int64] {
        switch storage {
        case .int(let i): return i
        case .float(let f): return f.map(ConstTensor.truncatingToInt64)
        }
    }

    /// Integer elements as `Int`, for sizes and indices.
    var intValues: [Int] { ints.map { Int(clamping: $0) } }

    /// Element `i` as a Double (for scalars such as Clip bounds or Pad values).
    func double(at i: Int) -> Double {
        switch storage {
        case .float(let f): return Double(f[i])
        case .int(let v): return Double(v[i])
        }
    }

    static func truncatingToInt64(_ x: Float) -> Int64 {
        if x.isNaN { return 0 }
        if x >= 9.2e18 { return Int64.max }
        if x <= -9.2e18 { return Int64.min }
        return Int64(x.rounded(.towardZero))
    }

    /// Builds a tensor of the same kind as `self` from picked flat indices of `self`.
    func gathering(_ indices: [Int], shape newShape: [Int]) -> ConstTensor {
        var out: ConstTensor
        switch storage {
        case .float(let f): out = ConstTensor(shape: newShape, floats: indices.map { f[$0] })
        case .int(let v): out = ConstTensor(shape: newShape, ints: indices.map { v[$0] })
        }
        if !batchElements.isEmpty || !unknownElements.isEmpty {
            for (k, i) in indices.enumerated() {
                if batchElements.contains(i) { out.batchElements.insert(k) }
                if unknownElements.contains(i) { out.unknownElements.insert(k) }
            }
        }
        return out
    }

    /// The same data under another shape (the element count must match).
    func reshaped(_ newShape: [Int]) -> ConstTensor {
        var out = self
        out.shape = newShape
        return out
    }
}

/// Helpers on shapes shared by the importer and the constant folder.
enum ShapeMath {
    /// Product of the dimensions, or nil on overflow or a negative dimension.
    static func count(_ shape: [Int], limit: Int = 1 << 40) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= limit else { return nil }
            n = p
        }
        return n
    }

    /// Row-major strides of a shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= max(shape[i], 1)
        }
        return s
    }

    /// Normalises a possibly negative axis for a tensor of rank `rank`, or nil if out of range.
    static func axis(_ a: Int, rank: Int) -> Int? {
        let v = a < 0 ? a + rank : a
        return (0..<rank).contains(v) ? v : nil
    }

    static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
