import CKernels
import Foundation
import LRPCore

/// A convolution or linear layer ready for the kernels: geometry (a linear layer is a 1×1
/// convolution on a 1×1 map) and parameters. Immutable: the modified parameters a rule needs
/// live in that rule's prepared value (`MappingRule.prepare`).
final class MappingLayer: EngineLayer, @unchecked Sendable {
    let nodeIndex: Int
    let name: String
    let isLinear: Bool
    let geometry: LrpConvGeometry
    let weight: FloatBuffer
    let bias: FloatBuffer?
    let input: ValueLayout
    let output: ValueLayout

    init(nodeIndex: Int, name: String, isLinear: Bool, geometry: LrpConvGeometry, weight: [Float],
         bias: [Float]?, input: ValueLayout, output: ValueLayout) {
        self.nodeIndex = nodeIndex
        self.name = name
        self.isLinear = isLinear
        self.geometry = geometry
        self.weight = FloatBuffer(weight)
        self.bias = bias.map { FloatBuffer($0) }
        self.input = input
        self.output = output
    }

    // MARK: the layer's behaviour (LayerKind of conv and linear)

    func assignRule(_ composite: Composite, number: Int?, node: NodeShapes) throws -> NodeRule {
        let rule = composite.mappingRule(number: number ?? 0, name: name, isLinear: isLinear, inputChannels: input.channels)
        return .mapping(try rule.prepare(self))
    }

    func reads(_ rule: NodeRule) -> ValuesRead {
        guard case .mapping(let r) = rule else { return .nothing }
        return ValuesRead(inputs: [r.readsInput], output: r.readsOutput)
    }

    /// The plain product `wx + b`, or the rule's own forward (alpha-beta keeps `[w⁺x; w⁻x]`).
    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        if step.keepProducts, case .mapping(let rule) = step.rule, let (y, kept) = try rule.forward(self, input: step.x, context: step.context) {
            return (y, kept)
        }
        let y = step.newOutput()
        try forwardProducts(inputs: [step.x], weights: [weight], biases: [bias], outputs: [y], geometry: geometry,
                            context: step.context)
        return (y, nil)
    }

    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        guard case .mapping(let rule) = step.rule else { throw LRPError("internal error: no rule for \(name)") }
        let x = rule.readsInput ? try step.input(0) : nil
        let z = rule.readsOutput ? try step.outputValue() : nil
        return [try rule.relevance(self, input: x, output: z, saved: step.saved, relevance: r, context: step.context)]
    }

    func flatRelevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        [try FlatRule().spread(self, r, step.context)]
    }

    /// A single-group convolution or a linear layer spreads one map over all its input
    /// channels; a depthwise convolution treats every channel alike.
    func collapsible(_ inputs: [Bool], _ step: LayoutStep) -> Bool {
        if isLinear || groups == 1 { return true }
        return input.channels == groups ? inputs[0] : false
    }

    var groups: Int { Int(geometry.groups) }
    var outPerGroup: Int { Int(geometry.outChannels / geometry.groups) }
    var weightsPerGroup: Int { weight.count / groups }

    /// Geometry of a convolution with `parts` weight tensors stacked per group (`parts` times the
    /// output channels per group), e.g. `[w⁺; w⁻]`.
    func stackedGeometry(parts: Int) -> LrpConvGeometry {
        var g = geometry
        g.outChannels *= Int32(parts)
        return g
    }

    /// Elementwise map of the weights, e.g. `{ max($0, 0) }`.
    func mappedWeights(_ f: (Float) -> Float) -> FloatBuffer {
        let out = FloatBuffer(count: weight.count)
        for i in 0..<weight.count { out[i] = f(weight[i]) }
        return out
    }

    /// Stacks weight tensors per group: `[a_g; b_g; …]` for every group g.
    func stacked(_ parts: [FloatBuffer]) -> FloatBuffer {
        let per = weightsPerGroup, k = parts.count
        let out = FloatBuffer(count: k * weight.count)
        for g in 0..<groups {
            for (j, p) in parts.enumerated() {
                (out.pointer + (k * g + j) * per).update(from: p.pointer + g * per, count: per)
            }
        }
        return out
    }

    /// Stacks per-output-channel vectors (biases) per group, as `stacked` stacks the weights.
    func stackedBias(_ parts: [FloatBuffer]) -> FloatBuffer {
        let per = outPerGroup, k = parts.count
        let out = FloatBuffer(count: k * Int(geometry.outChannels))
        for g in 0..<groups {
            for (j, p) in parts.enumerated() {
                (out.pointer + (k * g + j) * per).update(from: p.pointer + g * per, count: per)
            }
        }
        return out
    }

    // MARK: products over the batch

    /// Floats per sample of the output of a product with geometry `g`.
    func outputCount(_ g: LrpConvGeometry) -> Int { Int(g.outChannels * g.outHeight * g.outWidth) }
    var inputCount: Int { input.count }

    /// `outputs[k] = conv(inputs[k], weights[k])` (no bias unless given) for every sample, then
    /// `then(sample, spatialRange)` once those output positions are complete (all channels).
    /// Convolutions split output rows over the workers and run `then` in the same task (cache
    /// locality); linear layers split output features and run `then` per sample afterwards.
    func forwardProducts(inputs: [FloatBuffer], weights: [FloatBuffer], biases: [FloatBuffer?]? = nil,
                         outputs: [FloatBuffer], geometry g: LrpConvGeometry, context ctx: EngineContext,
                         then: ((_ sample: Int, _ spatial: Range<Int>) -> Void)? = nil) throws {
        let status = StatusCollector()
        let inCount = inputCount, outCount = outputCount(g), batch = ctx.batch
        if isLinear {
            let outF = Int(g.outChannels), inF = Int(g.inChannels)
            WorkSplit.run(batch: 1, extent: outF, serial: ctx.serial) { _, features, _ in
                for k in inputs.indices {
                    status.check(lrp_linear_forward(inputs[k].pointer, Int32(batch), Int32(inF), weights[k].pointer,
                                                    Int32(outF), biases?[k]?.pointer, outputs[k].pointer,
                                                    Int32(features.lowerBound), Int32(features.upperBound)))
                }
            }
            try status.throwIfFailed("forward of \(name)")
            if let then = then {
                WorkSplit.run(batch: batch, extent: 1, serial: ctx.serial) { n, _, _ in then(n, 0..<1) }
            }
            return
        }
        var gg = g
        let width = Int(g.outWidth), outSpatial = Int(g.outHeight * g.outWidth)
        if Self.batchesColumns(g, batch: batch) {
            // one GEMM over the columns of all samples, split over the workers
            ctx.workspace.reserve(lrp_pointwise_batch_workspace(&gg))
            WorkSplit.run(batch: 1, extent: batch * outSpatial, serial: ctx.serial) { _, columns, slot in
                var geo = g
                let (ws, wsCount) = ctx.workspace.pointer(slot)
                for k in inputs.indices {
                    status.check(lrp_pointwise_forward_batch(&geo, inputs[k].pointer, Int32(batch), weights[k].pointer,
                                                             biases?[k]?.pointer, outputs[k].pointer,
                                                             Int32(columns.lowerBound), Int32(columns.upperBound), ws, wsCount))
                }
            }
            try status.throwIfFailed("forward of \(name)")
            if let then = then {
                WorkSplit.run(batch: batch, extent: outSpatial, serial: ctx.serial) { n, sp, _ in then(n, sp) }
            }
            return
        }
        let wsFloats = lrp_conv_forward_workspace(&gg)
        ctx.workspace.reserve(wsFloats)
        if Self.splitsChannels(g, batch: batch) {
            // small maps: split the weights (output channels), then run `then` per sample
            WorkSplit.run(batch: batch, extent: Int(g.outChannels), serial: ctx.serial) { n, channels, slot in
                var geo = g
                let (ws, wsCount) = ctx.workspace.pointer(slot)
                for k in inputs.indices {
                    status.check(lrp_conv_forward_channels(&geo, inputs[k].pointer + n * inCount, weights[k].pointer,
                                                           biases?[k]?.pointer, outputs[k].pointer + n * outCount,
                                                           Int32(channels.lowerBound), Int32(channels.upperBound),
                                                           ws, wsCount))
                }
            }
            try status.throwIfFailed("forward of \(name)")
            if let then = then {
                WorkSplit.run(batch: batch, extent: outSpatial, serial: ctx.serial) { n, sp, _ in then(n, sp) }
            }
            return
        }
        WorkSplit.run(batch: batch, extent: Int(g.outHeight), serial: ctx.serial) { n, rows, slot in
            var geo = g
            let (ws, wsCount) = ctx.workspace.pointer(slot)
            for k in inputs.indices {
                status.check(lrp_conv_forward(&geo, inputs[k].pointer + n * inCount, weights[k].pointer,
                                              biases?[k]?.pointer, outputs[k].pointer + n * outCount,
                                              Int32(rows.lowerBound), Int32(rows.upperBound), ws, wsCount))
            }
            then?(n, (rows.lowerBound * width)..<(rows.upperBound * width))
        }
        try status.throwIfFailed("forward of \(name)")
    }

    /// Whether a sample's forward product is split by output channels rather than rows: when
    /// a sample is cut into parts and its map is small, row parts would each pack the whole
    /// weight matrix (or, for depthwise convolutions, have too few rows to share).
    static func splitsChannels(_ g: LrpConvGeometry, batch: Int) -> Bool {
        guard WorkSplit.parts(batch: batch, extent: Int(g.outHeight)) > 1 else { return false }
        let depthwise = g.inChannels == g.groups
        return (depthwise || isPointwise(g)) && g.outHeight * g.outWidth <= 256
    }

    /// 1×1, stride 1, unpadded: the input already is the GEMM's right-hand matrix.
    static func isPointwise(_ g: LrpConvGeometry) -> Bool {
        g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1
            && g.padTop == 0 && g.padLeft == 0 && g.inHeight == g.outHeight && g.inWidth == g.outWidth
    }

    /// Whether a pointwise convolution on a small map runs as one GEMM over the whole batch
    /// (`lrp_pointwise_forward_batch`, `lrp_pointwise_backward_batch`): one sample's product is
    /// so skinny (49 or 196 columns) that packing the weights for it costs as much as the product.
    static func batchesColumns(_ g: LrpConvGeometry, batch: Int) -> Bool {
        batch > 1 && g.groups == 1 && isPointwise(g) && g.outHeight * g.outWidth <= 256
    }

    /// `dxs[k] = convᵀ(dys[k], weights[k])` (the gradient of the convolution with respect to its
    /// input) for every sample, then `then(flatRange)` on each finished range of `dxs` indices.
    func backwardProducts(weights: [FloatBuffer], dys: [FloatBuffer], dxs: [FloatBuffer],
                          geometry g: LrpConvGeometry, context ctx: EngineContext,
                          then: ((_ range: Range<Int>) -> Void)? = nil) throws {
        let status = StatusCollector()
        let inCount = inputCount, outCount = outputCount(g), batch = ctx.batch
        if isLinear {
            let outF = Int(g.outChannels), inF = Int(g.inChannels)
            WorkSplit.run(batch: 1, extent: inF, serial: ctx.serial) { _, features, _ in
                for k in weights.indices {
                    status.check(lrp_linear_backward_data(dys[k].pointer, Int32(batch), Int32(outF), weights[k].pointer,
                                                          Int32(inF), dxs[k].pointer, Int32(features.lowerBound),
                                                          Int32(features.upperBound)))
                }
                if let then = then {
                    for n in 0..<batch {
                        then((n * inF + features.lowerBound)..<(n * inF + features.upperBound))
                    }
                }
            }
            try status.throwIfFailed("relevance of \(name)")
            return
        }
        var gg = g
        let spatial = input.spatial
        if Self.batchesColumns(g, batch: batch) {
            ctx.workspace.reserve(lrp_pointwise_batch_workspace(&gg))
            WorkSplit.run(batch: 1, extent: batch * spatial, serial: ctx.serial) { _, columns, slot in
                var geo = g
                let (ws, wsCount) = ctx.workspace.pointer(slot)
                for k in weights.indices {
                    status.check(lrp_pointwise_backward_batch(&geo, weights[k].pointer, dys[k].pointer, Int32(batch),
                                                              dxs[k].pointer, Int32(columns.lowerBound),
                                                              Int32(columns.upperBound), ws, wsCount))
                }
            }
            try status.throwIfFailed("relevance of \(name)")
            if let then = then {
                WorkSplit.run(batch: batch, extent: Int(g.inChannels), serial: ctx.serial) { n, channels, _ in
                    then((n * inCount + channels.lowerBound * spatial)..<(n * inCount + channels.upperBound * spatial))
                }
            }
            return
        }
        let wsFloats = lrp_conv_backward_workspace(&gg)
        ctx.workspace.reserve(wsFloats)
        WorkSplit.run(batch: batch, extent: Int(g.inChannels), serial: ctx.serial) { n, channels, slot in
            var geo = g
            let (ws, wsCount) = ctx.workspace.pointer(slot)
            for k in weights.indices {
                status.check(lrp_conv_backward_data(&geo, weights[k].pointer, dys[k].pointer + n * outCount,
                                                    dxs[k].pointer + n * inCount, Int32(channels.lowerBound),
                                                    Int32(channels.upperBound), ws, wsCount))
            }
            then?((n * inCount + channels.lowerBound * spatial)..<(n * inCount + channels.upperBound * spatial))
        }
        try status.throwIfFailed("relevance of \(name)")
    }
}
