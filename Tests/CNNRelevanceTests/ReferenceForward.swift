import CNNRelevance
import XCTest

/// A deliberately plain forward pass over a `Graph`, one sample at a time, written from the
/// ONNX/PyTorch operator definitions. It lets the importer be checked against PyTorch's output
/// without the engine (whose own forward pass is tested separately).
enum ReferenceForward {
    static func run(_ g: Graph, sample: [Float]) -> [Float] {
        var values = [[Float]](repeating: [], count: g.valueShapes.count)
        values[0] = sample
        for n in g.nodes {
            let x = values[n.inputs[0].index]
            let inShape = g.valueShapes[n.inputs[0].index]
            let outShape = g.valueShapes[n.output.index]
            let y: [Float]
            switch n.op {
            case .conv(let c): y = conv(c, x, inShape, outShape)
            case .linear(let l):
                y = (0..<l.outFeatures).map { o in
                    var s = Double(l.bias?[o] ?? 0)
                    for i in 0..<l.inFeatures { s += Double(l.weight[o * l.inFeatures + i]) * Double(x[i]) }
                    return Float(s)
                }
            case .relu: y = x.map { max($0, 0) }
            case .leakyRelu(let alpha): y = x.map { $0 >= 0 ? $0 : alpha * $0 }
            case .clip(let lo, let hi): y = x.map { min(max($0, lo), hi) }
            case .maxPool(let p): y = pool(p, x, inShape, outShape, max: true)
            case .averagePool(let p): y = pool(p, x, inShape, outShape, max: false)
            case .globalAveragePool:
                let hw = inShape[1] * inShape[2]
                y = (0..<inShape[0]).map { c in x[c * hw..<(c + 1) * hw].reduce(0, +) / Float(hw) }
            case .channelAffine(let a):
                let per = x.count / a.scale.count
                y = x.indices.map { i in a.scale[i / per] * x[i] + a.shift[i / per] }
            case .add: y = zip(x, values[n.inputs[1].index]).map { $0 + $1 }
            case .concat: y = n.inputs.flatMap { values[$0.index] }
            case .reshape, .identity: y = x
            case .pad(let p):
                let (c, h, w) = (inShape[0], inShape[1], inShape[2])
                let (oh, ow) = (outShape[1], outShape[2])
                var out = [Float](repeating: p.value, count: c * oh * ow)
                for ch in 0..<c { for i in 0..<h { for j in 0..<w {
                    out[(ch * oh + i + p.top) * ow + j + p.left] = x[(ch * h + i) * w + j]
                } } }
                y = out
            case .softmax:
                let m = x.max() ?? 0
                let e = x.map { exp($0 - m) }
                let s = e.reduce(0, +)
                y = e.map { $0 / s }
            case .lrn:
                XCTFail("LRN is not in the reference")
                y = x
            }
            values[n.output.index] = y
        }
        return values[g.output.index]
    }

    private static func conv(_ c: Conv2D, _ x: [Float], _ inS: [Int], _ outS: [Int]) -> [Float] {
        let (h, w) = (inS[1], inS[2]), (oh, ow) = (outS[1], outS[2])
        let inPerGroup = c.inChannels / c.groups, outPerGroup = c.outChannels / c.groups
        var out = [Float](repeating: 0, count: c.outChannels * oh * ow)
        for o in 0..<c.outChannels {
            let g = o / outPerGroup
            for i in 0..<oh { for j in 0..<ow {
                var s = Double(c.bias?[o] ?? 0)
                for ci in 0..<inPerGroup { for ki in 0..<c.kernelH { for kj in 0..<c.kernelW {
                    let y = i * c.strideH - c.padTop + ki * c.dilationH
                    let xx = j * c.strideW - c.padLeft + kj * c.dilationW
                    guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                    let wv = c.weight[((o * inPerGroup + ci) * c.kernelH + ki) * c.kernelW + kj]
                    s += Double(wv) * Double(x[((g * inPerGroup + ci) * h + y) * w + xx])
                } } }
                out[(o * oh + i) * ow + j] = Float(s)
            } }
        }
        return out
    }

    /// PyTorch's pooling: windows clipped to the input; average divisor counts padding only
    /// with count_include_pad, and never the part of a ceil-mode window beyond the padding.
    private static func pool(_ p: Pool2D, _ x: [Float], _ inS: [Int], _ outS: [Int], max isMax: Bool) -> [Float] {
        let (ch, h, w) = (inS[0], inS[1], inS[2]), (oh, ow) = (outS[1], outS[2])
        var out = [Float](repeating: 0, count: ch * oh * ow)
        for c in 0..<ch { for i in 0..<oh { for j in 0..<ow {
            var best = -Float.infinity, sum: Float = 0, count = 0
            for ki in 0..<p.kernelH { for kj in 0..<p.kernelW {
                let y = i * p.strideH - p.padTop + ki * p.dilationH
                let xx = j * p.strideW - p.padLeft + kj * p.dilationW
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                let v = x[(c * h + y) * w + xx]
                best = max(best, v); sum += v; count += 1
            } }
            if isMax {
                out[(c * oh + i) * ow + j] = best
            } else {
                var divisor = count
                if p.countIncludePad {
                    let y0 = i * p.strideH - p.padTop, x0 = j * p.strideW - p.padLeft
                    let y1 = min(y0 + p.kernelH, h + p.padBottom), x1 = min(x0 + p.kernelW, w + p.padRight)
                    divisor = (y1 - y0) * (x1 - x0)
                }
                out[(c * oh + i) * ow + j] = sum / Float(divisor)
            }
        } } }
        return out
    }
}
