import Foundation
@testable import CNNRelevance

/// Test-only reference of docs/DESIGN.md §2, written from the formulas with explicit connection lists
/// in double precision, one sample at a time. It shares no code with the engine (no kernels,
/// no stacking tricks, no channel-uniform maps), so agreement checks the engine's algebra.
struct ReferenceLRP {
    let graph: Graph
    let plan: RulePlan
    let stab = 1e-6

    struct Connection { let i: Int; let j: Int; let w: Double }

    /// Mapping layer as connections (input index, output index, weight) plus biases.
    func connections(_ node: Node) -> (conns: [Connection], bias: [Double], outCount: Int) {
        let inShape = graph.valueShapes[node.inputs[0].index], outShape = graph.valueShapes[node.output.index]
        switch node.op {
        case .conv(let c):
            let n = Naive.Conv(inC: c.inChannels, inH: inShape[1], inW: inShape[2], outC: c.outChannels, kH: c.kernelH,
                               kW: c.kernelW, sH: c.strideH, sW: c.strideW, pT: c.padTop, pL: c.padLeft,
                               pB: c.padBottom, pR: c.padRight, dH: c.dilationH, dW: c.dilationW, groups: c.groups)
            var conns: [Connection] = []
            n.connections { o, oh, ow, ci, ih, iw, k in
                conns.append(Connection(i: (ci * n.inH + ih) * n.inW + iw, j: (o * n.outH + oh) * n.outW + ow,
                                        w: Double(c.weight[k])))
            }
            let per = outShape[1] * outShape[2]
            let bias = (0..<(c.outChannels * per)).map { Double(c.bias?[$0 / per] ?? 0) }
            return (conns, bias, c.outChannels * per)
        case .linear(let l):
            var conns: [Connection] = []
            for j in 0..<l.outFeatures { for i in 0..<l.inFeatures { conns.append(Connection(i: i, j: j, w: Double(l.weight[j * l.inFeatures + i]))) } }
            return (conns, (0..<l.outFeatures).map { Double(l.bias?[$0] ?? 0) }, l.outFeatures)
        default: fatalError("not a mapping layer")
        }
    }

    /// Pool windows: for each output index, the real input indices (scan order) and the divisor.
    func windows(_ node: Node) -> [(inputs: [Int], divisor: Double)] {
        let s = graph.valueShapes[node.inputs[0].index], o = graph.valueShapes[node.output.index]
        let (c, h, w) = (s[0], s[1], s[2])
        let (oh, ow) = o.count == 3 ? (o[1], o[2]) : (1, 1)
        let p: Pool2D
        switch node.op {
        case .maxPool(let q), .averagePool(let q): p = q
        case .globalAveragePool: p = Pool2D(kernelH: h, kernelW: w, strideH: 1, strideW: 1)
        default: fatalError()
        }
        var out: [([Int], Double)] = []
        for ch in 0..<c {
            for y in 0..<oh {
                for x in 0..<ow {
                    var idx: [Int] = []
                    var padded = 0
                    for kh in 0..<p.kernelH {
                        for kw in 0..<p.kernelW {
                            let ih = y * p.strideH - p.padTop + kh * p.dilationH, iw = x * p.strideW - p.padLeft + kw * p.dilationW
                            if ih >= 0 && ih < h && iw >= 0 && iw < w { idx.append((ch * h + ih) * w + iw) }
                            if ih >= -p.padTop && ih < h + p.padBottom && iw >= -p.padLeft && iw < w + p.padRight { padded += 1 }
                        }
                    }
                    out.append((idx, p.countIncludePad ? Double(padded) : Double(idx.count)))
                }
            }
        }
        return out
    }

    func forward(_ x: [Double]) -> [[Double]] {
        var v = [[Double]](repeating: [], count: graph.valueShapes.count)
        v[0] = x
        for node in graph.nodes {
            let a = v[node.inputs[0].index]
            let outCount = graph.valueShapes[node.output.index].reduce(1, *)
            var y = [Double](repeating: 0, count: outCount)
            switch node.op {
            case .conv, .linear:
                let (conns, bias, _) = connections(node)
                y = bias
                for c in conns { y[c.j] += c.w * a[c.i] }
            case .relu: y = a.map { max($0, 0) }
            case .leakyRelu(let alpha): y = a.map { $0 >= 0 ? $0 : Double(alpha) * $0 }
            case .clip(let lo, let hi): y = a.map { min(max($0, Double(lo)), Double(hi)) }
            case .identity, .reshape: y = a
            case .maxPool:
                for (j, win) in windows(node).enumerated() { y[j] = win.inputs.map { a[$0] }.max()! }
            case .averagePool, .globalAveragePool:
                for (j, win) in windows(node).enumerated() { y[j] = win.inputs.reduce(0) { $0 + a[$1] } / win.divisor }
            case .channelAffine(let af):
                let per = a.count / af.scale.count
                y = a.enumerated().map { i, t in Double(af.scale[i / per]) * t + Double(af.shift[i / per]) }
            case .add: y = zip(a, v[node.inputs[1].index]).map(+)
            case .concat: y = node.inputs.flatMap { v[$0.index] }
            case .pad(let p):
                let s = graph.valueShapes[node.inputs[0].index], (h, w) = (s[1], s[2])
                let (ph, pw) = (h + p.top + p.bottom, w + p.left + p.right)
                y = [Double](repeating: Double(p.value), count: outCount)
                for c in 0..<s[0] { for i in 0..<h { for j in 0..<w { y[(c * ph + i + p.top) * pw + j + p.left] = a[(c * h + i) * w + j] } } }
            case .lrn(let size, let alpha, let beta, let bias):
                let s = graph.valueShapes[node.inputs[0].index], per = a.count / s[0]
                for c in 0..<s[0] {
                    for p in 0..<per {
                        var sq = 0.0
                        for k in max(0, c - (size - 1) / 2)...min(s[0] - 1, c + size - 1 - (size - 1) / 2) { sq += a[k * per + p] * a[k * per + p] }
                        y[c * per + p] = a[c * per + p] / pow(Double(bias) + Double(alpha) / Double(size) * sq, Double(beta))
                    }
                }
            case .softmax:
                let m = a.max()!, e = a.map { exp($0 - m) }, s = e.reduce(0, +)
                y = e.map { $0 / s }
            }
            v[node.output.index] = y
        }
        return v
    }

    func sgn(_ x: Double) -> Double { x >= 0 ? 1 : -1 }

    enum Rule { case epsilon(Double), alphaBeta(Double, Double), flat, wsquare, zbox }

    func mappingRule(_ k: Int, isLinear: Bool) -> Rule {
        if k == 0, let f = plan.firstLayer {
            switch f { case .flat: return .flat; case .wsquare: return .wsquare; case .zbox: return .zbox }
        }
        let eps = Double(plan.epsilon), ab = Rule.alphaBeta(Double(plan.alpha), Double(plan.beta))
        switch plan.preset {
        case .epsilon: return .epsilon(eps)
        case .alpha2beta1: return ab
        case .epsilonPlusFlat: return k == 0 ? .flat : (isLinear ? .epsilon(eps) : .alphaBeta(1, 0))
        case .epsilonAlpha2Beta1Flat: return k == 0 ? .flat : (isLinear ? .epsilon(eps) : ab)
        }
    }

    /// Input relevance of one sample for `target` at cut-off `cutoff`.
    func relevance(_ input: [Float], target: Int, cutoff: Int) -> [Double] {
        let v = forward(input.map(Double.init))
        var logit = graph.output.index
        if let last = graph.nodes.last, case .softmax = last.op { logit = last.inputs[0].index }
        var R = [[Double]](repeating: [], count: v.count)
        for i in v.indices { R[i] = [Double](repeating: 0, count: v[i].count) }
        R[logit][target] = v[logit][target]
        let mappingNodes = graph.nodes.indices.filter { graph.nodes[$0].op.isMapping }
        let boundary = cutoff < mappingNodes.count ? mappingNodes[cutoff] : graph.nodes.count
        for index in stride(from: graph.nodes.count - 1, through: 0, by: -1) {
            let node = graph.nodes[index]
            if node.output.index == graph.output.index, case .softmax = node.op { continue }
            let r = R[node.output.index], x = v[node.inputs[0].index], z = v[node.output.index]
            let inp = node.inputs[0].index
            let flat = index < boundary
            switch node.op {
            case .conv, .linear:
                let (conns, bias, outCount) = connections(node)
                let k = mappingNodes.firstIndex(of: index)!
                var isLinear = false
                if case .linear = node.op { isLinear = true }
                let rule = flat ? .flat : mappingRule(k, isLinear: isLinear)
                switch rule {
                case .epsilon(let e):
                    for c in conns { R[inp][c.i] += x[c.i] * c.w / (z[c.j] + e * sgn(z[c.j])) * r[c.j] }
                case .alphaBeta(let a, let b):
                    var P = bias.map { max($0, 0) }, N = bias.map { min($0, 0) }
                    func pij(_ c: Connection) -> Double { max(x[c.i], 0) * max(c.w, 0) + min(x[c.i], 0) * min(c.w, 0) }
                    func nij(_ c: Connection) -> Double { max(x[c.i], 0) * min(c.w, 0) + min(x[c.i], 0) * max(c.w, 0) }
                    for c in conns { P[c.j] += pij(c); N[c.j] += nij(c) }
                    for c in conns {
                        R[inp][c.i] += (a * pij(c) / (P[c.j] + stab * sgn(P[c.j])) - b * nij(c) / (N[c.j] + stab * sgn(N[c.j]))) * r[c.j]
                    }
                case .flat:
                    var n = [Double](repeating: 0, count: outCount)
                    for c in conns { n[c.j] += 1 }
                    for c in conns { R[inp][c.i] += r[c.j] / (n[c.j] + stab) }
                case .wsquare:
                    var d = [Double](repeating: 0, count: outCount)
                    for c in conns { d[c.j] += c.w * c.w }
                    for c in conns { R[inp][c.i] += c.w * c.w / (d[c.j] + stab) * r[c.j] }
                case .zbox:
                    let s = graph.valueShapes[inp], per = x.count / s[0]
                    let lo = plan.zBoxLow, hi = plan.zBoxHigh
                    func bound(_ b: [Float], _ i: Int) -> Double { Double(b.count == 1 ? b[0] : b[i / per]) }
                    func num(_ c: Connection) -> Double { x[c.i] * c.w - bound(lo, c.i) * max(c.w, 0) - bound(hi, c.i) * min(c.w, 0) }
                    var d = [Double](repeating: 0, count: outCount)
                    for c in conns { d[c.j] += num(c) }
                    for c in conns { R[inp][c.i] += num(c) / (d[c.j] + stab * sgn(d[c.j])) * r[c.j] }
                }
            case .relu, .leakyRelu, .clip, .identity, .reshape, .lrn, .softmax:
                for i in r.indices { R[inp][i] += r[i] }
            case .channelAffine(let af):
                let per = x.count / af.scale.count
                for i in r.indices {
                    R[inp][i] += flat ? r[i] : x[i] * Double(af.scale[i / per]) * r[i] / (z[i] + Double(plan.epsilon) * sgn(z[i]))
                }
            case .maxPool:
                for (j, win) in windows(node).enumerated() {
                    if flat {
                        for i in win.inputs { R[inp][i] += r[j] / Double(win.inputs.count) }
                    } else if plan.maxPool == .winnerTakeAll {
                        var best = win.inputs[0]
                        for i in win.inputs where x[i] > x[best] { best = i }
                        R[inp][best] += r[j]
                    } else {
                        let s = win.inputs.reduce(0) { $0 + x[$1] }
                        for i in win.inputs { R[inp][i] += x[i] * r[j] / (s + stab * sgn(s)) }
                    }
                }
            case .averagePool, .globalAveragePool:
                for (j, win) in windows(node).enumerated() {
                    for i in win.inputs {
                        R[inp][i] += flat ? r[j] / Double(win.inputs.count) : x[i] / win.divisor * r[j] / (z[j] + stab * sgn(z[j]))
                    }
                }
            case .add:
                let b = v[node.inputs[1].index]
                for i in r.indices {
                    R[inp][i] += flat ? r[i] / 2 : x[i] * r[i] / (z[i] + stab * sgn(z[i]))
                    R[node.inputs[1].index][i] += flat ? r[i] / 2 : b[i] * r[i] / (z[i] + stab * sgn(z[i]))
                }
            case .concat:
                var off = 0
                for input in node.inputs {
                    let n = v[input.index].count
                    for i in 0..<n { R[input.index][i] += r[off + i] }
                    off += n
                }
            case .pad(let p):
                let s = graph.valueShapes[inp], (h, w) = (s[1], s[2])
                let pw = w + p.left + p.right, ph = h + p.top + p.bottom
                for c in 0..<s[0] { for i in 0..<h { for j in 0..<w { R[inp][(c * h + i) * w + j] += r[(c * ph + i + p.top) * pw + j + p.left] } } }
            }
        }
        return R[0]
    }
}
