/// The input region one element of a value depends on, per spatial axis: its size, the step
/// between neighbouring elements (jump) and the centre of element (0, 0), all in input pixels.
/// The centre can be negative or fractional (padding, even kernels).
public struct ReceptiveField: Sendable, Equatable {
    public var sizeH: Int
    public var sizeW: Int
    public var jumpH: Int
    public var jumpW: Int
    public var startH: Double
    public var startW: Double
    /// The value has no spatial layout any more (after global pooling, flatten or a linear
    /// layer): every element sees the whole input.
    public var isGlobal: Bool

    public init(sizeH: Int, sizeW: Int, jumpH: Int, jumpW: Int, startH: Double, startW: Double, isGlobal: Bool) {
        self.sizeH = sizeH
        self.sizeW = sizeW
        self.jumpH = jumpH
        self.jumpW = jumpW
        self.startH = startH
        self.startW = startW
        self.isGlobal = isGlobal
    }

    /// One input pixel.
    static let pixel = ReceptiveField(sizeH: 1, sizeW: 1, jumpH: 1, jumpW: 1, startH: 0, startW: 0, isGlobal: false)

    /// After a window op (conv or pooling) with the given geometry.
    func window(kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padTop: Int, padLeft: Int,
                dilationH: Int, dilationW: Int) -> ReceptiveField {
        // Saturating arithmetic: absurd strides in a corrupt model must not trap.
        func mul(_ a: Int, _ b: Int) -> Int { let (p, o) = a.multipliedReportingOverflow(by: b); return o ? Int.max / 4 : min(p, Int.max / 4) }
        func add(_ a: Int, _ b: Int) -> Int { min(a, Int.max / 4) + min(b, Int.max / 4) }
        let kh = add(mul(dilationH, kernelH - 1), 1), kw = add(mul(dilationW, kernelW - 1), 1)
        return ReceptiveField(
            sizeH: add(sizeH, mul(kh - 1, jumpH)), sizeW: add(sizeW, mul(kw - 1, jumpW)),
            jumpH: mul(jumpH, strideH), jumpW: mul(jumpW, strideW),
            startH: startH + (Double(kh - 1) / 2 - Double(padTop)) * Double(jumpH),
            startW: startW + (Double(kw - 1) / 2 - Double(padLeft)) * Double(jumpW),
            isGlobal: false)
    }

    /// The smallest field covering all of `fields` (sums and concatenations of branches).
    static func union(_ fields: [ReceptiveField]) -> ReceptiveField {
        guard var out = fields.first else { return .pixel }
        if fields.contains(where: { $0.isGlobal }) { out.isGlobal = true }
        func span(_ size: Int, _ start: Double) -> (Double, Double) {
            (start - Double(size - 1) / 2, start + Double(size - 1) / 2)
        }
        var (loH, hiH) = span(out.sizeH, out.startH), (loW, hiW) = span(out.sizeW, out.startW)
        for f in fields.dropFirst() {
            let (a, b) = span(f.sizeH, f.startH), (c, d) = span(f.sizeW, f.startW)
            loH = min(loH, a); hiH = max(hiH, b); loW = min(loW, c); hiW = max(hiW, d)
            out.jumpH = max(out.jumpH, f.jumpH)
            out.jumpW = max(out.jumpW, f.jumpW)
        }
        func clampedInt(_ x: Double) -> Int { Int(min(max(x.rounded(), 0), 1e15)) }
        out.sizeH = clampedInt(hiH - loH) + 1
        out.sizeW = clampedInt(hiW - loW) + 1
        out.startH = (loH + hiH) / 2
        out.startW = (loW + hiW) / 2
        return out
    }
}

extension Graph {
    /// Receptive field of every value (indexed like `valueShapes`) with respect to the input.
    public func receptiveFields() -> [ReceptiveField] {
        let global = globalField
        var rf = [ReceptiveField](repeating: .pixel, count: valueShapes.count)
        for (i, n) in nodes.enumerated() {
            let ins = n.inputs.map { rf[$0.index] }
            let result = n.op.kind.receptiveField(ins.isEmpty ? [.pixel] : ins, nodeShapes(i, global: global))
            rf[n.output.index] = result.isGlobal ? global : result
        }
        return rf
    }
}
