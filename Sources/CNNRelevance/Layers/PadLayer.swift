import CKernels
import LRPCore

/// Constant padding of the spatial axes. The relevance of padded positions is dropped
/// (cropped), inside the cut-off region too.
struct PadKind: LayerKind, EngineLayer {
    let padding: Padding2D

    var summary: String { "pad \(padding.top),\(padding.left),\(padding.bottom),\(padding.right)" }
    func isChannelwise(_ io: NodeShapes) -> Bool { true }

    func receptiveField(_ inputs: [ReceptiveField], _ io: NodeShapes) -> ReceptiveField {
        var r = inputs[0]
        if !r.isGlobal {
            r.startH -= Double(padding.top * r.jumpH)
            r.startW -= Double(padding.left * r.jumpW)
        }
        return r
    }

    func lower(_ io: NodeShapes) throws -> any EngineLayer {
        let p = padding, input = io.input
        try io.expectInputs(1)
        guard p.top >= 0, p.left >= 0, p.bottom >= 0, p.right >= 0 else {
            throw LRPError("\(io.label): negative padding (cropping) is not supported")
        }
        guard input.count == 3, io.output == [input[0], input[1] + p.top + p.bottom, input[2] + p.left + p.right] else {
            throw LRPError("\(io.label): padding \(input) cannot give \(io.output)")
        }
        try requireFinite([p.value], "padding value", io)
        return self
    }

    func forward(_ step: ForwardStep) throws -> (output: FloatBuffer, saved: SavedProducts?) {
        let x = step.x, y = step.newOutput(), p = padding
        let inL = step.layouts.input, outCount = step.layouts.output.count
        WorkSplit.run(batch: step.batch, extent: 1, serial: step.context.serial) { n, _, _ in
            lrp_pad2d(x.pointer + n * inL.count, Int32(inL.channels), Int32(inL.height), Int32(inL.width),
                      Int32(p.top), Int32(p.left), Int32(p.bottom), Int32(p.right), p.value, y.pointer + n * outCount)
        }
        return (y, nil)
    }

    func relevance(_ r: Relevance, _ step: RelevanceStep) throws -> [Relevance] {
        let p = padding, input = step.layouts.input, output = step.layouts.output, batch = step.batch
        let (top, left, bottom, right) = (Int32(p.top), Int32(p.left), Int32(p.bottom), Int32(p.right))
        let (h, w) = (Int32(input.height), Int32(input.width))
        switch r {
        case .full(let R):
            let out = FloatBuffer(count: batch * input.count)
            for n in 0..<batch {
                lrp_crop2d(R.pointer + n * output.count, Int32(input.channels), h, w, top, left, bottom, right,
                           out.pointer + n * input.count)
            }
            return [.full(out)]
        case .uniform(let m), .channelSum(let m):
            let out = FloatBuffer(count: batch * input.spatial)
            for n in 0..<batch {
                lrp_crop2d(m.pointer + n * output.spatial, 1, h, w, top, left, bottom, right, out.pointer + n * input.spatial)
            }
            return [r.withMap(out)]
        }
    }
}
