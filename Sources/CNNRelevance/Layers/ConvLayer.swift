import CKernels
import LRPCore

/// 2-D convolution (also grouped and depthwise): a mapping layer. Its rules are in `Rules/`;
/// lowered it is a `MappingLayer`.
struct ConvKind: LayerKind {
    let conv: Conv2D

    var category: LayerCategory? { .conv }

    var isMapping: Bool { true }

    var summary: String {
        let c = conv
        var s = "conv \(windowSummary(c.kernelH, c.kernelW, c.strideH, c.strideW)) \(c.inChannels)->\(c.outChannels)"
        if c.groups == c.inChannels && c.groups > 1 { s += " depthwise" } else if c.groups > 1 { s += " g\(c.groups)" }
        if c.dilationH != 1 || c.dilationW != 1 { s += " d\(c.dilationH)" }
        return s
    }

    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField {
        let c = conv, first = inputs.first ?? .pixel
        return first.isGlobal ? io.global : first.window(
            kernelH: c.kernelH, kernelW: c.kernelW, strideH: c.strideH, strideW: c.strideW,
            padTop: c.padTop, padLeft: c.padLeft, dilationH: c.dilationH, dilationW: c.dilationW)
    }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        let c = conv, input = io.input, output = io.output, label = io.label
        try io.expectInputs(1)
        guard input.count == 3, output.count == 3 else {
            throw LRPError("\(label): convolution needs [C,H,W] input and output (got \(input) → \(output))")
        }
        guard c.groups > 0, c.inChannels == input[0], c.outChannels == output[0],
              c.inChannels % c.groups == 0, c.outChannels % c.groups == 0 else {
            throw LRPError("\(label): \(c.inChannels)→\(c.outChannels) channels in \(c.groups) groups do not fit \(input) → \(output)")
        }
        guard c.kernelH > 0, c.kernelW > 0, c.strideH > 0, c.strideW > 0, c.dilationH > 0, c.dilationW > 0,
              c.padTop >= 0, c.padLeft >= 0, c.padBottom >= 0, c.padRight >= 0 else {
            throw LRPError("\(label): kernel, stride, dilation must be positive and pads non-negative")
        }
        guard c.weight.count == c.outChannels * (c.inChannels / c.groups) * c.kernelH * c.kernelW,
              c.bias == nil || c.bias!.count == c.outChannels else {
            throw LRPError("\(label): weight or bias size does not match the convolution's shape")
        }
        try requireFinite(c.weight, "weight", io)
        try requireFinite(c.bias ?? [], "bias", io)
        let oh = (input[1] + c.padTop + c.padBottom - c.dilationH * (c.kernelH - 1) - 1) / c.strideH + 1
        let ow = (input[2] + c.padLeft + c.padRight - c.dilationW * (c.kernelW - 1) - 1) / c.strideW + 1
        guard oh == output[1], ow == output[2] else {
            throw LRPError("\(label): output size \(output[1])x\(output[2]) does not match the geometry (\(oh)x\(ow))")
        }
        var g = LrpConvGeometry(inChannels: Int32(input[0]), inHeight: Int32(input[1]), inWidth: Int32(input[2]),
                                outChannels: Int32(output[0]), outHeight: Int32(oh), outWidth: Int32(ow),
                                kernelH: Int32(c.kernelH), kernelW: Int32(c.kernelW),
                                strideH: Int32(c.strideH), strideW: Int32(c.strideW),
                                padTop: Int32(c.padTop), padLeft: Int32(c.padLeft),
                                dilationH: Int32(c.dilationH), dilationW: Int32(c.dilationW), groups: Int32(c.groups))
        guard lrp_conv_check(&g) == 0 else { throw LRPError("\(label): invalid convolution geometry") }
        return MappingLayer(nodeIndex: io.index, name: io.name, isLinear: false, geometry: g, weight: c.weight,
                            bias: c.bias, input: ValueLayout(shape: input), output: ValueLayout(shape: output))
    }
}

/// "3x3", "3x3 s2" or "3x3 s2x1": a window and its stride, for summaries.
func windowSummary(_ kh: Int, _ kw: Int, _ sh: Int, _ sw: Int) -> String {
    var s = "\(kh)x\(kw)"
    if sh != 1 || sw != 1 { s += sh == sw ? " s\(sh)" : " s\(sh)x\(sw)" }
    return s
}
