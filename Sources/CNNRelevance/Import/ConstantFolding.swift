import LRPCore

/// Evaluates nodes whose inputs are all known at import time. Exporters emit such sub-graphs
/// for shapes (`x.view(x.size(0), -1)` becomes Shape → Gather → Unsqueeze → Concat → Reshape)
/// and occasionally for weights (Transpose of an initializer); they disappear from the graph.
enum ConstantFolding {
    static let foldable: Set<String> = [
        "Constant", "Identity", "Dropout", "Cast", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat",
        "Slice", "Add", "Sub", "Mul", "Div", "Neg", "Reshape", "Flatten", "ConstantOfShape", "Transpose",
    ]

    static func supports(_ op: String) -> Bool { foldable.contains(op) }

    /// Largest constant the folder creates (shape sub-graphs are tiny; this bounds a corrupt
    /// ConstantOfShape or broadcast).
    static let maxElements = 1 << 26

    static func evaluate(_ ctx: NodeContext, inputs: [ConstTensor?], builder: GraphBuilder) throws -> [ConstTensor] {
        func input(_ i: Int) throws -> ConstTensor {
            guard i < inputs.count, let t = inputs[i] else { throw ctx.error("missing input \(i + 1)") }
            return t
        }
        let a = ctx.attributes
        let budget = builder.foldingBudget
        switch ctx.op {
        case "Constant": return [try constantNode(ctx, builder: builder)]
        case "Identity", "Dropout": return [try input(0)]
        case "Cast": return [try cast(input(0), to: a.int("to") ?? 1, ctx, budget)]
        case "Shape":
            let t = try input(0)
            return [try sliceShape(ConstTensor(shape: [t.shape.count], ints: t.shape.map { Int64($0) }), ctx)]
        case "Gather": return [try gather(input(0), indices: input(1), axis: a.int("axis", default: 0), ctx, budget)]
        case "Unsqueeze":
            let axes = try ctx.opset >= 13 ? try input(1).intValues : (a.ints("axes") ?? [])
            return [try unsqueeze(input(0), axes: axes, ctx)]
        case "Squeeze":
            let axes: [Int]? = ctx.opset >= 13 ? (inputs.count > 1 ? inputs[1]?.intValues : nil) : try a.ints("axes")
            return [try squeeze(input(0), axes: axes, ctx)]
        case "Concat":
            guard let axis = try a.int("axis") else { throw ctx.error("missing attribute 'axis'") }
            return [try concat(inputs.compactMap { $0 }, axis: axis, ctx, budget)]
        case "Slice": return [try slice(inputs, ctx, budget)]
        case "Add", "Sub", "Mul", "Div": return [try arithmetic(ctx.op, input(0), input(1), ctx, budget)]
        case "Neg": return [try arithmetic("Sub", ConstTensor(shape: [], ints: [0]), input(0), ctx, budget)]
        case "Reshape":
            let t = try input(0)
            let target = try input(1)
            let shape = try reshapeTarget(target.intValues, inputShape: t.shape,
                                          allowZero: a.int("allowzero", default: 0) == 1, ctx)
            return [t.reshaped(shape)]
        case "Flatten":
            let t = try input(0)
            guard let axis = ShapeMath.axis(try a.int("axis", default: 1), rank: t.shape.count + 1) else {
                throw ctx.error("axis out of range")
            }
            let outer = t.shape[..<axis].reduce(1, *)
            return [t.reshaped([outer, t.count / max(outer, 1)])]
        case "ConstantOfShape": return [try constantOfShape(input(0), ctx, builder: builder)]
        case "Transpose": return [try transpose(input(0), perm: a.ints("perm"), ctx, budget)]
        default:
            throw LRPError("unsupported ONNX op '\(ctx.op)' in node '\(ctx.name)'")
        }
    }

    // MARK: Shape

    /// `Shape` of a runtime value: the batch size (unknown, marked) followed by the per-sample shape.
    static func shapeOfRuntime(valueShape: [Int], _ ctx: NodeContext) throws -> ConstTensor {
        let full = ConstTensor(shape: [valueShape.count + 1], ints: [1] + valueShape.map { Int64($0) }, batchElements: [0])
        return try sliceShape(full, ctx)
    }

    /// Applies Shape's optional `start`/`end` attributes (opset 15).
    private static func sliceShape(_ full: ConstTensor, _ ctx: NodeContext) throws -> ConstTensor {
        let n = full.count
        func clampIndex(_ i: Int) -> Int { min(max(i < 0 ? i + n : i, 0), n) }
        let start = clampIndex(try ctx.attributes.int("start", default: 0))
        let end = clampIndex(try ctx.attributes.int("end", default: n))
        let idx = start < end ? Array(start..<end) : []
        return full.gathering(idx, shape: [idx.count])
    }

    // MARK: Constant, Cast, ConstantOfShape

    private static func constantNode(_ ctx: NodeContext, builder: GraphBuilder) throws -> ConstTensor {
        let a = ctx.attributes
        if let t = try a.tensor("value") { return try builder.decodeAttributeTensor(t, ctx, "value") }
        if let f = try a.float("value_float") { return ConstTensor(shape: [], floats: [f]) }
        if let f = try a.floats("value_floats") { return ConstTensor(shape: [f.count], floats: f) }
        if let i = try a.int("value_int") { return ConstTensor(shape: [], ints: [Int64(i)]) }
        if let i = try a.ints("value_ints") { return ConstTensor(shape: [i.count], ints: i.map { Int64($0) }) }
        throw ctx.error("has no supported value attribute (value, value_float(s), value_int(s))")
    }

    private static func cast(_ t: ConstTensor, to code: Int, _ ctx: NodeContext, _ budget: FoldingBudget) throws -> ConstTensor {
        try budget.claim(elements: t.count, bytesPerElement: 8, ctx)
        switch code {
        case 1, 10, 11, 16:
            var out = ConstTensor(shape: t.shape, floats: t.floats)
            out.unknownElements = t.unknownElements.union(t.batchElements)
            return out
        case 2, 3, 4, 5, 6, 7, 12, 13:
            var out = ConstTensor(shape: t.shape, ints: t.ints)
            out.batchElements = t.batchElements
            out.unknownElements = t.unknownElements
            return out
        case 9:
            return ConstTensor(shape: t.shape, ints: t.floats.map { $0 != 0 ? 1 : 0 })
        default:
            throw ctx.error("cast to data type \(TensorDecoding.dataTypeName(Int32(code))) is not supported")
        }
    }

    private static func constantOfShape(_ shapeTensor: ConstTensor, _ ctx: NodeContext, builder: GraphBuilder) throws -> ConstTensor {
        guard shapeTensor.batchElements.isEmpty, shapeTensor.unknownElements.isEmpty else {
            throw ctx.error("a constant whose shape depends on the batch size is not supported")
        }
        let shape = shapeTensor.intValues
        guard let n = ShapeMath.count(shape, limit: maxElements) else { throw ctx.error("invalid shape \(shape)") }
        try builder.foldingBudget.claim(elements: n, bytesPerElement: 8, ctx)
        var fill = ConstTensor(shape: [1], floats: [0])
        if let t = try ctx.attributes.tensor("value") {
            fill = try builder.decodeAttributeTensor(t, ctx, "value")
            guard fill.count == 1 else { throw ctx.error("attribute 'value' must hold one element") }
        }
        switch fill.storage {
        case .float(let f): return ConstTensor(shape: shape, floats: [Float](repeating: f[0], count: n))
        case .int(let i): return ConstTensor(shape: shape, ints: [Int64](repeating: i[0], count: n))
        }
    }

    // MARK: indexing

    private static func gather(_ data: ConstTensor, indices: ConstTensor, axis rawAxis: Int, _ ctx: NodeContext,
                               _ budget: FoldingBudget) throws -> ConstTensor {
        guard indices.isInteger else { throw ctx.error("indices must be integers") }
        guard let axis = ShapeMath.axis(rawAxis, rank: data.shape.count) else { throw ctx.error("axis \(rawAxis) out of range") }
        let dim = data.shape[axis]
        let idx = try indices.intValues.map { i -> Int in
            let j = i < 0 ? i + dim : i
            guard (0..<dim).contains(j) else { throw ctx.error("index \(i) out of range for axis of size \(dim)") }
            return j
        }
        let outer = data.shape[..<axis].reduce(1, *)
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        // Indices may repeat: the result can be far larger than the data.
        guard let total = ShapeMath.count(shape, limit: maxElements) else { throw ctx.error("result of shape \(shape) too large") }
        try budget.claim(elements: total, bytesPerElement: 16, ctx)
        var picks: [Int] = []
        picks.reserveCapacity(total)
        for o in 0..<outer { for j in idx { for k in 0..<inner { picks.append((o * dim + j) * inner + k) } } }
        return data.gathering(picks, shape: shape)
    }

    private static func slice(_ inputs: [ConstTensor?], _ ctx: NodeContext, _ budget: FoldingBudget) throws -> ConstTensor {
        guard let data = inputs.first ?? nil else { throw ctx.error("missing input 1") }
        let rank = data.shape.count
        let starts: [Int], ends: [Int]
        var axes: [Int]?, steps: [Int]?
        if ctx.opset < 10 {
            guard let s = try ctx.attributes.ints("starts"), let e = try ctx.attributes.ints("ends") else {
                throw ctx.error("missing attribute 'starts' or 'ends'")
            }
            starts = s; ends = e
            axes = try ctx.attributes.ints("axes")
        } else {
            func opt(_ i: Int) -> [Int]? { i < inputs.count ? inputs[i]?.intValues : nil }
            guard let s = opt(1), let e = opt(2) else { throw ctx.error("missing starts or ends input") }
            starts = s; ends = e; axes = opt(3); steps = opt(4)
        }
        let ax = axes ?? Array(0..<starts.count)
        let st = steps ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, ax.count == starts.count, st.count == starts.count else {
            throw ctx.error("starts, ends, axes and steps differ in length")
        }
        var lo = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank)
        var len = data.shape
        for k in 0..<ax.count {
            guard let a = ShapeMath.axis(ax[k], rank: rank) else { throw ctx.error("axis \(ax[k]) out of range") }
            let d = data.shape[a]
            guard st[k] != 0 else { throw ctx.error("step 0") }
            // A step longer than the axis picks one element; clamped so the length arithmetic
            // below cannot overflow (fuzzing: steps = Int64.max trapped).
            let s = st[k] > 0 ? min(st[k], d + 1) : max(st[k], -(d + 1))
            var b = starts[k] < 0 ? starts[k] + d : starts[k]
            var e = ends[k] < 0 ? ends[k] + d : ends[k]
            if s > 0 {
                b = min(max(b, 0), d); e = min(max(e, 0), d)
                len[a] = e > b ? (e - b + s - 1) / s : 0
            } else {
                b = min(max(b, 0), d - 1); e = min(max(e, -1), d - 1)
                len[a] = b > e ? (b - e - s - 1) / (-s) : 0
            }
            lo[a] = b; step[a] = s
        }
        let strides = ShapeMath.strides(data.shape)
        let total = len.reduce(1, *)
        try budget.claim(elements: total, bytesPerElement: 16, ctx)
        var picks: [Int] = []
        picks.reserveCapacity(total)
        var pos = [Int](repeating: 0, count: rank)
        for _ in 0..<total {
            var flat = 0
            for a in 0..<rank { flat += (lo[a] + pos[a] * step[a]) * strides[a] }
            picks.append(flat)
            var a = rank - 1
            while a >= 0 { pos[a] += 1; if pos[a] < len[a] { break }; pos[a] = 0; a -= 1 }
        }
        return data.gathering(picks, shape: len)
    }

    private static func transpose(_ t: ConstTensor, perm: [Int]?, _ ctx: NodeContext, _ budget: FoldingBudget) throws -> ConstTensor {
        let rank = t.shape.count
        let p = perm ?? Array((0..<rank).reversed())
        guard p.count == rank, Set(p) == Set(0..<rank) else { throw ctx.error("invalid perm \(p)") }
        let outShape = p.map { t.shape[$0] }
        try budget.claim(elements: t.count, bytesPerElement: 16, ctx)
        let inStrides = ShapeMath.strides(t.shape)
        var picks: [Int] = []
        picks.reserveCapacity(t.count)
        var pos = [Int](repeating: 0, count: rank)
        for _ in 0..<t.count {
            var flat = 0
            for a in 0..<rank { flat += pos[a] * inStrides[p[a]] }
            picks.append(flat)
            var a = rank - 1
            while a >= 0 { pos[a] += 1; if pos[a] < outShape[a] { break }; pos[a] = 0; a -= 1 }
        }
        return t.gathering(picks, shape: outShape)
    }

    // MARK: shape manipulation

    private static func unsqueeze(_ t: ConstTensor, axes: [Int], _ ctx: NodeContext) throws -> ConstTensor {
        let outRank = t.shape.count + axes.count
        var normalized = Set<Int>()
        for a in axes {
            guard let n = ShapeMath.axis(a, rank: outRank), normalized.insert(n).inserted else {
                throw ctx.error("invalid axes \(axes)")
            }
        }
        var shape: [Int] = []
        var src = t.shape.makeIterator()
        for i in 0..<outRank { shape.append(normalized.contains(i) ? 1 : src.next() ?? 1) }
        return t.reshaped(shape)
    }

    private static func squeeze(_ t: ConstTensor, axes: [Int]?, _ ctx: NodeContext) throws -> ConstTensor {
        let rank = t.shape.count
        let drop: Set<Int>
        if let axes {
            drop = Set(try axes.map { a in
                guard let n = ShapeMath.axis(a, rank: rank), t.shape[n] == 1 else { throw ctx.error("cannot squeeze axis \(a) of shape \(t.shape)") }
                return n
            })
        } else {
            drop = Set(t.shape.indices.filter { t.shape[$0] == 1 })
        }
        return t.reshaped(t.shape.indices.filter { !drop.contains($0) }.map { t.shape[$0] })
    }

    private static func concat(_ parts: [ConstTensor], axis rawAxis: Int, _ ctx: NodeContext,
                               _ budget: FoldingBudget) throws -> ConstTensor {
        guard let first = parts.first else { throw ctx.error("no inputs") }
        let rank = first.shape.count
        guard let axis = ShapeMath.axis(rawAxis, rank: rank) else { throw ctx.error("axis \(rawAxis) out of range") }
        for p in parts {
            guard p.shape.count == rank,
                  p.shape.indices.allSatisfy({ $0 == axis || p.shape[$0] == first.shape[$0] }) else {
                throw ctx.error("inputs of shapes \(parts.map { $0.shape }) cannot be concatenated on axis \(rawAxis)")
            }
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        // Bounded like every folded result: many large parts must not add up to gigabytes.
        guard let n = ShapeMath.count(shape, limit: maxElements) else { throw ctx.error("result of shape \(shape) too large") }
        let anyFloat = parts.contains { !$0.isInteger }
        // The result plus each part converted once to the result's element type.
        try budget.claim(elements: 2 * n, bytesPerElement: 8, ctx)
        let floatParts = anyFloat ? parts.map(\.floats) : [], intParts = anyFloat ? [] : parts.map(\.ints)
        var floats: [Float] = [], ints: [Int64] = []
        var batch = Set<Int>(), unknown = Set<Int>()
        for o in 0..<outer {
            for (pi, p) in parts.enumerated() {
                let block = p.shape[axis] * inner
                let f = anyFloat ? floatParts[pi] : [], v = anyFloat ? [] : intParts[pi]
                for k in 0..<block {
                    let src = o * block + k
                    let dst = anyFloat ? floats.count : ints.count
                    if p.batchElements.contains(src) { batch.insert(dst) }
                    if p.unknownElements.contains(src) { unknown.insert(dst) }
                    if anyFloat { floats.append(f[src]) } else { ints.append(v[src]) }
                }
            }
        }
        var out = anyFloat ? ConstTensor(shape: shape, floats: floats) : ConstTensor(shape: shape, ints: ints)
        out.batchElements = batch
        out.unknownElements = unknown
        return out
    }

    /// Resolves a Reshape target (0 = copy the input dim unless `allowZero`, -1 = infer).
    static func reshapeTarget(_ target: [Int], inputShape: [Int], allowZero: Bool, _ ctx: NodeContext) throws -> [Int] {
        var out = target
        var inferAt: Int?
        for (i, d) in target.enumerated() {
            if d == 0 && !allowZero {
                guard i < inputShape.count else { throw ctx.error("target \(target) copies a dimension the input \(inputShape) does not have") }
                out[i] = inputShape[i]
            } else if d == -1 {
                guard inferAt == nil else { throw ctx.error("target \(target) has more than one -1") }
                inferAt = i
            } else if d < 0 {
                throw ctx.error("invalid target dimension \(d)")
            }
        }
        guard let total = ShapeMath.count(inputShape),
              let known = ShapeMath.count(out.enumerated().filter { $0.offset != inferAt }.map(\.element)) else {
            throw ctx.error("cannot reshape \(ShapeMath.describe(inputShape)) to \(target)")
        }
        if let i = inferAt {
            guard known > 0, total % known == 0 else { throw ctx.error("cannot reshape \(ShapeMath.describe(inputShape)) to \(target)") }
            out[i] = total / known
        }
        guard ShapeMath.count(out) == total else { throw ctx.error("cannot reshape \(ShapeMath.describe(inputShape)) to \(target)") }
        return out
    }

    // MARK: arithmetic

    private static func arithmetic(_ op: String, _ a: ConstTensor, _ b: ConstTensor, _ ctx: NodeContext,
                                   _ budget: FoldingBudget) throws -> ConstTensor {
        let rank = max(a.shape.count, b.shape.count)
        let sa = [Int](repeating: 1, count: rank - a.shape.count) + a.shape
        let sb = [Int](repeating: 1, count: rank - b.shape.count) + b.shape
        var shape: [Int] = []
        for i in 0..<rank {
            guard sa[i] == sb[i] || sa[i] == 1 || sb[i] == 1 else {
                throw ctx.error("shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            shape.append(sa[i] == 1 ? sb[i] : sa[i])
        }
        guard let n = ShapeMath.count(shape, limit: maxElements) else { throw ctx.error("result too large") }
        // Result, both operands in the result's element type, and the batch-size marks (a set
        // entry costs about 16 bytes) when an operand carries any.
        let marked = !(a.batchElements.isEmpty && a.unknownElements.isEmpty && b.batchElements.isEmpty && b.unknownElements.isEmpty)
        try budget.claim(elements: n + a.count + b.count + (marked ? 2 * n : 0), bytesPerElement: 8, ctx)
        let stA = ShapeMath.strides(sa), stB = ShapeMath.strides(sb), stO = ShapeMath.strides(shape)
        func sources(_ flat: Int) -> (Int, Int) {
            var ia = 0, ib = 0, rem = flat
            for d in 0..<rank {
                let c = rem / stO[d]
                rem %= stO[d]
                if sa[d] != 1 { ia += c * stA[d] }
                if sb[d] != 1 { ib += c * stB[d] }
            }
            return (ia, ib)
        }
        var batch = Set<Int>(), unknown = Set<Int>()
        let integer = a.isInteger && b.isInteger
        let fa = integer ? [] : a.floats, fb = integer ? [] : b.floats
        let va = integer ? a.ints : [], vb = integer ? b.ints : []
        var floats: [Float] = [], ints: [Int64] = []
        for k in 0..<n {
            let (i, j) = sources(k)
            let aBatch = a.batchElements.contains(i), bBatch = b.batchElements.contains(j)
            if a.unknownElements.contains(i) || b.unknownElements.contains(j) { unknown.insert(k) }
            if integer {
                let x = va[i], y = vb[j]
                let r: Int64
                switch op {
                case "Add": r = x &+ y
                case "Sub": r = x &- y
                case "Mul": r = x &* y
                default:
                    guard y != 0 else { throw ctx.error("integer division by zero") }
                    r = x / y
                }
                ints.append(r)
                // The batch size survives x*1, x/1, x+0, x-0; anything else is unknown.
                let neutral: Int64 = (op == "Add" || op == "Sub") ? 0 : 1
                if aBatch && !bBatch { if y == neutral { batch.insert(k) } else { unknown.insert(k) } }
                if bBatch && !aBatch { if x == neutral && (op == "Add" || op == "Mul") { batch.insert(k) } else { unknown.insert(k) } }
                if aBatch && bBatch { unknown.insert(k) }
            } else {
                let x = fa[i], y = fb[j]
                switch op {
                case "Add": floats.append(x + y)
                case "Sub": floats.append(x - y)
                case "Mul": floats.append(x * y)
                default: floats.append(x / y)
                }
                if aBatch || bBatch { unknown.insert(k) }
            }
        }
        var out = integer ? ConstTensor(shape: shape, ints: ints) : ConstTensor(shape: shape, floats: floats)
        out.batchElements = batch
        out.unknownElements = unknown.subtracting(batch)
        return out
    }
}
