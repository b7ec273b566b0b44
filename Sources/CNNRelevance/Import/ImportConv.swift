extension GraphBuilder {
    /// Conv: 2-D only; groups (incl. depthwise), strides, pads, auto_pad, dilations.
    func importConv(_ ctx: NodeContext) throws {
        let x = try runtimeInput(ctx, 0)
        let input = try featureMapShape(ctx, x)
        let w = try requiredConstant(ctx, 1, "weight")
        guard w.shape.count == 4 else {
            throw ctx.error("only 2-D convolution is supported; weight shape is \(ShapeMath.describe(w.shape))")
        }
        let (outC, inPerGroup, kH, kW) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let groups = try ctx.attributes.int("group", default: 1)
        guard groups >= 1, outC % groups == 0, inPerGroup * groups == input[0], outC >= 1 else {
            throw ctx.error("weight \(ShapeMath.describe(w.shape)) with group=\(groups) does not fit an input of \(input[0]) channels")
        }
        if let k = try ctx.attributes.ints("kernel_shape"), k != [kH, kW] {
            throw ctx.error("kernel_shape \(k) disagrees with the weight shape \(ShapeMath.describe(w.shape))")
        }
        var bias: [Float]?
        if let b = try constantInput(ctx, 2) {
            guard b.count == outC else { throw ctx.error("bias has \(b.count) values; expected \(outC)") }
            bias = b.floats
        }
        let (h, wAxis) = try windowAxes(ctx, kernel: [kH, kW], input: [input[1], input[2]])
        guard let outH = h.outputSize(input: input[1], ceilMode: false),
              let outW = wAxis.outputSize(input: input[2], ceilMode: false) else {
            throw ctx.error("a \(kH)x\(kW) kernel does not fit the \(input[1])x\(input[2]) input")
        }
        let conv = Conv2D(weight: w.floats, bias: bias, outChannels: outC, inChannels: input[0],
                          kernelH: kH, kernelW: kW, strideH: h.stride, strideW: wAxis.stride,
                          padTop: h.padBegin, padLeft: wAxis.padBegin, padBottom: h.padEnd, padRight: wAxis.padEnd,
                          dilationH: h.dilation, dilationW: wAxis.dilation, groups: groups)
        try emit(ctx, .conv(conv), inputs: [x], shape: [outC, outH, outW])
    }
}
