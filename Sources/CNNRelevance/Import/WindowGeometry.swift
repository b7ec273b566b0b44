/// Output size and padding of a sliding-window op (Conv, MaxPool, AveragePool) on one spatial
/// axis, with ONNX's `auto_pad` and PyTorch's `ceil_mode` rule.
struct WindowAxis {
    var kernel: Int
    var stride: Int
    var dilation: Int
    var padBegin: Int
    var padEnd: Int

    var effectiveKernel: Int { dilation * (kernel - 1) + 1 }

    /// Output length for an input of length `input`, or nil if the window does not fit.
    /// With `ceilMode` a last, partial window is kept unless it would start in the end padding
    /// (PyTorch's rule, which exported models follow).
    func outputSize(input: Int, ceilMode: Bool) -> Int? {
        let span = input + padBegin + padEnd - effectiveKernel
        guard span >= 0, stride >= 1 else { return nil }
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (out - 1) * stride >= input + padBegin { out -= 1 }
        return out >= 1 ? out : nil
    }

    /// Sets the pads for `auto_pad` SAME_UPPER / SAME_LOWER (output = ceil(input / stride)).
    mutating func applySamePadding(input: Int, upper: Bool) {
        let out = (input + stride - 1) / stride
        let total = max(0, (out - 1) * stride + effectiveKernel - input)
        padBegin = upper ? total / 2 : total - total / 2
        padEnd = total - padBegin
    }
}

extension GraphBuilder {
    /// Reads kernel/stride/pad/dilation attributes of a 2-D window op and resolves `auto_pad`.
    /// Returns the two axes (H, W).
    func windowAxes(_ ctx: NodeContext, kernel: [Int], input: [Int], allowDilation: Bool = true) throws -> (WindowAxis, WindowAxis) {
        let a = ctx.attributes
        let strides = try a.ints("strides", count: 2, default: [1, 1])
        let dilations = try a.ints("dilations", count: 2, default: [1, 1])
        let pads = try a.ints("pads", count: 4, default: [0, 0, 0, 0])
        guard strides.allSatisfy({ $0 >= 1 }) else { throw ctx.error("strides must be positive, got \(strides)") }
        guard dilations.allSatisfy({ $0 >= 1 }) else { throw ctx.error("dilations must be positive, got \(dilations)") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw ctx.error("negative pads \(pads) are not supported") }
        guard kernel.count == 2, kernel.allSatisfy({ $0 >= 1 }) else { throw ctx.error("invalid kernel shape \(kernel)") }
        if !allowDilation && dilations != [1, 1] { throw ctx.error("dilations are not supported here") }
        var h = WindowAxis(kernel: kernel[0], stride: strides[0], dilation: dilations[0], padBegin: pads[0], padEnd: pads[2])
        var w = WindowAxis(kernel: kernel[1], stride: strides[1], dilation: dilations[1], padBegin: pads[1], padEnd: pads[3])
        let autoPad = try a.string("auto_pad") ?? "NOTSET"
        switch autoPad {
        case "NOTSET", "":
            break
        case "VALID":
            h.padBegin = 0; h.padEnd = 0; w.padBegin = 0; w.padEnd = 0
        case "SAME_UPPER", "SAME_LOWER":
            h.applySamePadding(input: input[0], upper: autoPad == "SAME_UPPER")
            w.applySamePadding(input: input[1], upper: autoPad == "SAME_UPPER")
        default:
            throw ctx.error("unknown auto_pad '\(autoPad)'")
        }
        return (h, w)
    }

    /// Per-sample `[C, H, W]` of a runtime input, or an error naming the shape.
    func featureMapShape(_ ctx: NodeContext, _ v: ValueID) throws -> [Int] {
        let s = shape(of: v)
        guard s.count == 3 else {
            throw ctx.error("expects an NCHW feature map, got per-sample shape \(ShapeMath.describe(s))")
        }
        return s
    }
}
