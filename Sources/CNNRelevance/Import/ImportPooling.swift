extension GraphBuilder {
    /// MaxPool / AveragePool (2-D), with pads, auto_pad, dilations, ceil_mode, count_include_pad.
    func importPool(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let input = try featureMapShape(ctx, x)
        let a = ctx.attributes
        guard let kernel = try a.ints("kernel_shape") else { throw ctx.error("missing attribute 'kernel_shape'") }
        guard kernel.count == 2 else { throw ctx.error("only 2-D pooling is supported (kernel_shape \(kernel))") }
        if ctx.op == "MaxPool", try a.int("storage_order", default: 0) != 0 {
            throw ctx.error("storage_order=1 is not supported")
        }
        let (h, w) = try windowAxes(ctx, kernel: kernel, input: [input[1], input[2]])
        let ceil = try a.int("ceil_mode", default: 0) != 0
        guard let outH = h.outputSize(input: input[1], ceilMode: ceil),
              let outW = w.outputSize(input: input[2], ceilMode: ceil) else {
            throw ctx.error("a \(kernel[0])x\(kernel[1]) window does not fit the \(input[1])x\(input[2]) input")
        }
        let pool = Pool2D(kernelH: h.kernel, kernelW: w.kernel, strideH: h.stride, strideW: w.stride,
                          padTop: h.padBegin, padLeft: w.padBegin, padBottom: h.padEnd, padRight: w.padEnd,
                          dilationH: h.dilation, dilationW: w.dilation, ceilMode: ceil,
                          countIncludePad: try a.int("count_include_pad", default: 0) != 0)
        let op: LayerOp = ctx.op == "MaxPool" ? .maxPool(pool) : .averagePool(pool)
        try emit(ctx, op, inputs: [x], shape: [input[0], outH, outW])
    }

    /// GlobalAveragePool → `[C, 1, 1]`; GlobalMaxPool becomes a max-pool over the whole map.
    func importGlobalPool(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let input = try featureMapShape(ctx, x)
        if ctx.op == "GlobalAveragePool" {
            try emit(ctx, .globalAveragePool(keepSpatial: true), inputs: [x], shape: [input[0], 1, 1])
        } else {
            let pool = Pool2D(kernelH: input[1], kernelW: input[2], strideH: 1, strideW: 1)
            try emit(ctx, .maxPool(pool), inputs: [x], shape: [input[0], 1, 1])
        }
    }

    /// ReduceMean over exactly the two spatial axes: a global average pool (keepdims decides
    /// between `[C, 1, 1]` and `[C]`). Axes come from the attribute (opset ≤ 17) or input 2 (≥ 18).
    func importReduceMean(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let input = try featureMapShape(ctx, x)
        let keep = try ctx.attributes.int("keepdims", default: 1) != 0
        var axes: [Int]?
        if ctx.opset >= 18 {
            axes = try constantInput(ctx, 1)?.intValues
            if axes?.isEmpty ?? true, try ctx.attributes.int("noop_with_empty_axes", default: 0) != 0 {
                try emit(ctx, .identity, inputs: [x], shape: input)
                return
            }
        } else {
            axes = try ctx.attributes.ints("axes")
        }
        let normalized = Set((axes ?? [0, 1, 2, 3]).compactMap { ShapeMath.axis($0, rank: 4) })
        guard let axes, normalized == [2, 3], axes.count == 2 else {
            throw ctx.error("only a mean over the two spatial axes (2, 3) is supported; axes are \(axes.map { "\($0)" } ?? "all")")
        }
        try emit(ctx, .globalAveragePool(keepSpatial: keep), inputs: [x], shape: keep ? [input[0], 1, 1] : [input[0]])
    }
}
