import CKernels
import LRPCore

/// Max and average pooling over windows: the graph-level answers come from the window
/// (`pool`) and the pooling kind; the kind files add their name and category.
protocol WindowPoolKind: LayerKind {
    var pool: Pool2D { get }
    var poolKind: PoolLayer.Kind { get }
    var name: String { get }
}

extension WindowPoolKind {
    var summary: String {
        "\(name) \(windowSummary(pool.kernelH, pool.kernelW, pool.strideH, pool.strideW))\(pool.ceilMode ? " ceil" : "")"
    }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }
    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField {
        PoolLayer.receptiveField(pool, inputs, io)
    }
    func lower(_ io: NodeShapes) throws -> any EngineLayer { try PoolLayer.lower(pool, kind: poolKind, io) }
}

/// What max, average and global average pooling share: the kernel geometry and the two
/// relevance treatments that do not depend on the kind of pooling.
struct PoolLayer: EngineLayer {
    enum Kind { case max, average }
    let kind: Kind
    let geometry: LrpPoolGeometry

    static let stabilizer = RulePlan.stabilizer

    /// Checks a window op against its shapes (`[C,H,W]` both, equal channels).
    static func lower(_ p: Pool2D, kind: Kind, _ io: NodeShapes) throws -> PoolLayer {
        try io.expectInputs(1)
        let input = io.input, out = io.output
        guard input.count == 3, out.count == 3, input[0] == out[0] else {
            throw LRPError("\(io.label): pooling needs [C,H,W] input and output with equal channels (got \(input) → \(out))")
        }
        var g = LrpPoolGeometry(channels: Int32(out[0]), inHeight: Int32(input[1]), inWidth: Int32(input[2]),
                                outHeight: Int32(out[1]), outWidth: Int32(out[2]),
                                kernelH: Int32(p.kernelH), kernelW: Int32(p.kernelW),
                                strideH: Int32(p.strideH), strideW: Int32(p.strideW),
                                padTop: Int32(p.padTop), padLeft: Int32(p.padLeft),
                                padBottom: Int32(p.padBottom), padRight: Int32(p.padRight),
                                dilationH: Int32(p.dilationH), dilationW: Int32(p.dilationW),
                                countIncludePad: p.countIncludePad ? 1 : 0)
        guard lrp_pool_check(&g) == 0 else { throw LRPError("\(io.label): pooling geometry does not fit \(input) → \(out)") }
        return PoolLayer(kind: kind, geometry: g)
    }

    /// Receptive field after a pooling window; a window covering the whole map is global.
    static func receptiveField(_ p: Pool2D, _ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField {
        let first = inputs[0], inShape = io.input
        let coversAll = inShape.count == 3 && p.kernelH >= inShape[1] && p.kernelW >= inShape[2]
            && io.output.dropFirst().allSatisfy { $0 == 1 }
        return first.isGlobal || coversAll ? io.global : first.window(
            kernelH: p.kernelH, kernelW: p.kernelW, strideH: p.strideH, strideW: p.strideW,
            padTop: p.padTop, padLeft: p.padLeft, dilationH: p.dilationH, dilationW: p.dilationW)
    }

    func assignRule(_ composite: Composite, number: Int?, node: NodeShapes) throws -> NodeRule {
        kind == .max ? .maxPool(composite.maxPoolRule(name: node.name)) : .none
    }

    func reads(_ rule: NodeRule) -> ValuesRead { .firstInput }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput(), g = geometry
        let inCount = step.layouts.input.count, outCount = step.layouts.output.count
        let status = StatusCollector()
        let isMax = kind == .max
        WorkSplit.run(batch: step.batch, extent: Int(g.channels), serial: step.context.serial) { n, cs, _ in
            var geo = g
            let xp = x.pointer + n * inCount, yp = y.pointer + n * outCount
            let (c0, c1) = (Int32(cs.lowerBound), Int32(cs.upperBound))
            status.check(isMax ? lrp_maxpool_forward(&geo, xp, yp, c0, c1) : lrp_avgpool_forward(&geo, xp, yp, c0, c1))
        }
        try status.throwIfFailed("pooling forward")
        return (y, nil)
    }

    /// Max pooling: winner-take-all or, on request, proportionally as sum pooling; average
    /// pooling proportionally to the inputs (zennit's `Norm`).
    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        let x = try step.input(0)
        let R = r.materialized(step.layouts.output, batch: step.batch)
        let out = FloatBuffer(count: step.batch * step.layouts.input.count)
        let status = StatusCollector()
        let s = Self.stabilizer
        if kind == .max, case .maxPool(.winnerTakeAll) = step.rule {
            perChannel(step) { geo, i, o, c0, c1 in
                status.check(lrp_maxpool_backward_wta(geo, x.pointer + i, R.pointer + o, out.pointer + i, c0, c1))
            }
        } else {
            let sumPooling: Int32 = kind == .max ? 1 : 0
            perChannel(step) { geo, i, o, c0, c1 in
                status.check(lrp_pool_backward_proportional(geo, x.pointer + i, R.pointer + o, out.pointer + i,
                                                            sumPooling, s, c0, c1))
            }
        }
        try status.throwIfFailed("pooling relevance")
        return [.full(out)]
    }

    /// Inside the cut-off region: uniform over each window's real inputs.
    func flatRelevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        let status = StatusCollector()
        let input = step.layouts.input, output = step.layouts.output
        switch r {
        case .full(let R):
            let out = FloatBuffer(count: step.batch * input.count)
            perChannel(step) { geo, i, o, c0, c1 in
                status.check(lrp_pool_backward_flat(geo, R.pointer + o, out.pointer + i, c0, c1))
            }
            try status.throwIfFailed("flat pooling relevance")
            return [.full(out)]
        case .uniform(let m), .channelSum(let m):
            var one = geometry
            one.channels = 1
            let out = FloatBuffer(count: step.batch * input.spatial)
            for n in 0..<step.batch {
                status.check(lrp_pool_backward_flat(&one, m.pointer + n * output.spatial, out.pointer + n * input.spatial, 0, 1))
            }
            try status.throwIfFailed("flat pooling relevance")
            return [r.withMap(out)]
        }
    }

    /// Runs a pooling kernel per sample and channel range: `body(geometry, inOffset, outOffset, c0, c1)`.
    private func perChannel(_ step: RelevanceStep,
                            _ body: (UnsafeMutablePointer<LrpPoolGeometry>, Int, Int, Int32, Int32) -> Void) {
        let g = geometry, inCount = step.layouts.input.count, outCount = step.layouts.output.count
        WorkSplit.run(batch: step.batch, extent: Int(g.channels), serial: step.context.serial) { n, cs, _ in
            var geo = g
            body(&geo, n * inCount, n * outCount, Int32(cs.lowerBound), Int32(cs.upperBound))
        }
    }
}
