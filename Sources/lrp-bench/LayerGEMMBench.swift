import CKernels
import CNNRelevance
import COpenBLAS
import Foundation
import LRPCore

/// Per-layer throughput of the plain forward products (`lrp-bench cnn`) against OpenBLAS sgemm
/// on the same GEMM shapes: a convolution is the im2col GEMM M×K·K×N per group (M = output
/// channels per group, K = input channels per group × kh × kw, N = output pixels × batch), a
/// linear layer M = outputs, K = inputs, N = batch.
///
/// The engine has no per-layer timer, so each product runs outside it: the same C kernels
/// (`lrp_conv_forward`, `lrp_conv_forward_channels`, `lrp_pointwise_forward_batch`,
/// `lrp_linear_forward`) with the same work split over the workers as
/// `MappingLayer.forwardProducts` (kept in step by hand; the report compares the sum of the
/// layer times with the engine's whole forward pass). Layers of identical geometry are timed
/// once and counted as often as they occur.
enum LayerGEMMBench {
    /// One set of layers with the same geometry.
    struct Shape {
        var names: [String]
        var isLinear: Bool
        var geometry: LrpConvGeometry
        var weight: [Float]
        var bias: [Float]?

        var groups: Int { Int(geometry.groups) }
        var m: Int { Int(geometry.outChannels) / groups }
        var k: Int { Int(geometry.inChannels) / groups * Int(geometry.kernelH * geometry.kernelW) }
        func n(batch: Int) -> Int { Int(geometry.outHeight * geometry.outWidth) * batch }
        /// Multiply-adds × 2 of one layer for the batch.
        func flops(batch: Int) -> Double { 2 * Double(m) * Double(k) * Double(n(batch: batch)) * Double(groups) }
        var depthwise: Bool { !isLinear && groups > 1 && Int(geometry.inChannels) == groups }
        var label: String {
            guard let first = names.first else { return "?" }
            return names.count == 1 ? first : "\(first) (×\(names.count))"
        }
    }

    struct Row {
        var shape: Shape
        var path: String
        /// Seconds per layer call for the batch (best of the rounds).
        var ours: Double
        /// sgemm GFLOP/s on the shape: the better of OpenBLAS with `threads` threads and
        /// `threads` single-threaded sgemms on column blocks (the engine's own split).
        var sgemm: Double
        var flops: Double
        var count: Int { shape.names.count }
        var oursRate: Double { flops / ours / 1e9 }
    }

    /// Totals over a set of rows: our GFLOP/s, sgemm's on the same FLOPs, and the percentage.
    struct Total {
        var layers = 0
        var flops = 0.0
        var ours = 0.0
        var sgemm = 0.0
        var oursRate: Double { flops / ours / 1e9 }
        var sgemmRate: Double { flops / sgemm / 1e9 }
        var percent: Double { 100 * sgemm / ours }
        mutating func add(_ r: Row) {
            layers += r.count
            flops += r.flops * Double(r.count)
            ours += r.ours * Double(r.count)
            sgemm += r.flops / (r.sgemm * 1e9) * Double(r.count)
        }
    }

    /// The conv and linear layers of `graph`, grouped by geometry, in order of first occurrence.
    static func shapes(_ graph: Graph) -> [Shape] {
        var out: [Shape] = []
        var index: [[Int]: Int] = [:]
        for node in graph.nodes {
            let shape: Shape
            switch node.op {
            case .conv(let c):
                let i = graph.valueShapes[node.inputs[0].index], o = graph.valueShapes[node.output.index]
                let g = LrpConvGeometry(inChannels: Int32(i[0]), inHeight: Int32(i[1]), inWidth: Int32(i[2]),
                                        outChannels: Int32(o[0]), outHeight: Int32(o[1]), outWidth: Int32(o[2]),
                                        kernelH: Int32(c.kernelH), kernelW: Int32(c.kernelW),
                                        strideH: Int32(c.strideH), strideW: Int32(c.strideW),
                                        padTop: Int32(c.padTop), padLeft: Int32(c.padLeft),
                                        dilationH: Int32(c.dilationH), dilationW: Int32(c.dilationW), groups: Int32(c.groups))
                shape = Shape(names: [node.name], isLinear: false, geometry: g, weight: c.weight, bias: c.bias)
            case .linear(let l):
                let g = LrpConvGeometry(inChannels: Int32(l.inFeatures), inHeight: 1, inWidth: 1,
                                        outChannels: Int32(l.outFeatures), outHeight: 1, outWidth: 1,
                                        kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0,
                                        dilationH: 1, dilationW: 1, groups: 1)
                shape = Shape(names: [node.name], isLinear: true, geometry: g, weight: l.weight, bias: l.bias)
            default:
                continue
            }
            let g = shape.geometry
            let key = [shape.isLinear ? 1 : 0, shape.bias == nil ? 0 : 1] + [
                g.inChannels, g.inHeight, g.inWidth, g.outChannels, g.outHeight, g.outWidth, g.kernelH, g.kernelW,
                g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.groups].map(Int.init)
            if let j = index[key] {
                out[j].names.append(node.name)
            } else {
                index[key] = out.count
                out.append(shape)
            }
        }
        return out
    }

    /// Times every shape at `batch`: ours and sgemm split over the workers shape by shape (next to
    /// each other in time, as the load of the machine drifts), then OpenBLAS on its own threads in
    /// a last pass (its threads spin for a while after each call and would slow the others).
    static func measure(_ shapes: [Shape], batch: Int, threads: Int) throws -> [Row] {
        var rows = try shapes.map { s in
            let status = StatusCollector()
            let (t, path) = timeOurs(s, batch: batch, threads: threads, status: status)
            try status.throwIfFailed("per-layer timing of \(s.label) (\(path))")
            let sgemm = sgemmRate(s, batch: batch, threads: threads, blasThreads: false)
            return Row(shape: s, path: path, ours: t, sgemm: sgemm, flops: s.flops(batch: batch))
        }
        lrp_blas_set_threads(Int32(threads))
        for i in rows.indices {
            rows[i].sgemm = max(rows[i].sgemm, sgemmRate(rows[i].shape, batch: batch, threads: threads, blasThreads: true))
        }
        lrp_blas_set_threads(Int32(BLASThreads.count))
        Thread.sleep(forTimeInterval: 0.3)  // let OpenBLAS's threads go idle before the next timing
        return rows
    }

    // MARK: ours

    /// `MappingLayer.forwardProducts`'s choice and split for one plain product (bias included).
    static func timeOurs(_ s: Shape, batch: Int, threads: Int, status: StatusCollector) -> (seconds: Double, path: String) {
        s.weight.withUnsafeBufferPointer { timeOurs(s, weights: $0.baseAddress!, batch: batch, threads: threads, status: status) }
    }

    static func timeOurs(_ s: Shape, weights w: UnsafePointer<Float>, batch: Int, threads: Int,
                         status: StatusCollector) -> (seconds: Double, path: String) {
        var g = s.geometry
        let inCount = Int(g.inChannels * g.inHeight * g.inWidth), outCount = Int(g.outChannels * g.outHeight * g.outWidth)
        let x = FloatArrayBox(count: batch * inCount), y = FloatArrayBox(count: batch * outCount)
        fillNoise(x.pointer, batch * inCount)
        let b = s.bias.map { bias -> FloatArrayBox in
            let box = FloatArrayBox(count: bias.count)
            box.pointer.update(from: bias, count: bias.count)
            return box
        }
        let bp = b?.pointer
        let split = Split(workers: threads)
        let outSpatial = Int(g.outHeight * g.outWidth)
        let pointwise = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0
            && g.padLeft == 0 && g.inHeight == g.outHeight && g.inWidth == g.outWidth
        let depthwise = g.inChannels == g.groups
        if s.isLinear {
            let t = best {
                split.run(batch: 1, extent: Int(g.outChannels)) { _, r, _ in
                    status.check(lrp_linear_forward(x.pointer, Int32(batch), g.inChannels, w, g.outChannels, bp, y.pointer,
                                           Int32(r.lowerBound), Int32(r.upperBound)))
                }
            }
            return (t, "linear")
        }
        if batch > 1 && g.groups == 1 && pointwise && outSpatial <= 256 {
            let count = lrp_pointwise_batch_workspace(&g)
            let ws = (0..<threads).map { _ in FloatArrayBox(count: count) }
            let t = best {
                split.run(batch: 1, extent: batch * outSpatial) { _, r, slot in
                    var geo = g
                    status.check(lrp_pointwise_forward_batch(&geo, x.pointer, Int32(batch), w, bp, y.pointer,
                                                    Int32(r.lowerBound), Int32(r.upperBound), ws[slot].pointer, count))
                }
            }
            return (t, "1×1 batch GEMM")
        }
        let count = max(1, lrp_conv_forward_workspace(&g))
        let ws = (0..<threads).map { _ in FloatArrayBox(count: count) }
        if split.parts(batch: batch, extent: Int(g.outHeight)) > 1 && (depthwise || pointwise) && outSpatial <= 256 {
            let t = best {
                split.run(batch: batch, extent: Int(g.outChannels)) { n, r, slot in
                    var geo = g
                    status.check(lrp_conv_forward_channels(&geo, x.pointer + n * inCount, w, bp, y.pointer + n * outCount,
                                                  Int32(r.lowerBound), Int32(r.upperBound), ws[slot].pointer, count))
                }
            }
            return (t, depthwise ? "depthwise, channels" : "channels")
        }
        let t = best {
            split.run(batch: batch, extent: Int(g.outHeight)) { n, r, slot in
                var geo = g
                status.check(lrp_conv_forward(&geo, x.pointer + n * inCount, w, bp, y.pointer + n * outCount,
                                     Int32(r.lowerBound), Int32(r.upperBound), ws[slot].pointer, count))
            }
        }
        return (t, depthwise ? "depthwise, rows" : pointwise ? "1×1, rows" : "im2col, rows")
    }

    /// `WorkSplit` of the engine: (sample, part) tasks in at most `workers` contiguous chunks.
    struct Split {
        let workers: Int
        func parts(batch: Int, extent: Int) -> Int {
            func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
            return max(1, min(workers / gcd(max(batch, 1), workers), extent))
        }
        func range(_ part: Int, of parts: Int, extent: Int) -> Range<Int> {
            let base = extent / parts, extra = extent % parts
            let start = part * base + min(part, extra)
            return start..<(start + base + (part < extra ? 1 : 0))
        }
        func run(batch: Int, extent: Int, _ body: (Int, Range<Int>, Int) -> Void) {
            let p = parts(batch: batch, extent: extent), tasks = batch * p
            let chunks = min(workers, tasks)
            Parallel.forEach(chunks) { c in
                for t in range(c, of: chunks, extent: tasks) {
                    let r = range(t % p, of: p, extent: extent)
                    if !r.isEmpty { body(t / p, r, c) }
                }
            }
        }
    }

    // MARK: sgemm

    /// Floats of B (K×N per group) above which N is cut: a GEMM's rate no longer depends on N
    /// there, and VGG-16's first layers at batch 8 would need a 0.9 GB im2col matrix.
    static let maxBFloats = 1 << 25

    /// sgemm GFLOP/s on the shape's GEMM (one sgemm per group): with `blasThreads` one call per
    /// group on OpenBLAS's own threads, else each worker one single-threaded call per group on
    /// its block of columns.
    static func sgemmRate(_ s: Shape, batch: Int, threads: Int, blasThreads: Bool) -> Double {
        s.weight.withUnsafeBufferPointer { a in
            sgemmRate(s, a: a.baseAddress!, batch: batch, threads: threads, blasThreads: blasThreads)
        }
    }

    /// The columns sgemm is timed on: N, or fewer when B would pass `maxBFloats`.
    static func sgemmColumns(_ s: Shape, batch: Int) -> Int {
        max(1, min(s.n(batch: batch), maxBFloats / max(1, s.k * s.groups)))
    }

    static func sgemmRate(_ s: Shape, a: UnsafePointer<Float>, batch: Int, threads: Int, blasThreads: Bool) -> Double {
        let m = s.m, k = s.k, groups = s.groups
        let n = sgemmColumns(s, batch: batch)
        let bm = FloatArrayBox(count: groups * k * n), cm = FloatArrayBox(count: groups * m * n)
        fillNoise(bm.pointer, groups * k * n)
        let flops = 2 * Double(m) * Double(n) * Double(k) * Double(groups)
        let t: Double
        if blasThreads {
            t = best {
                for gi in 0..<groups {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                                a + gi * m * k, Int32(k), bm.pointer + gi * k * n, Int32(n), 0,
                                cm.pointer + gi * m * n, Int32(n))
                }
            }
        } else {
            t = columnSplitSgemmSeconds(a: a, b: bm.pointer, c: cm.pointer, outer: m, inner: k, n: n, groups: groups,
                                        transposed: false, threads: threads)
        }
        return flops / t / 1e9
    }

    /// Seconds per call (`best`) of `threads` workers each making one single-threaded sgemm per
    /// group on its block of the n columns — the engine's own split. Per group, C (`outer`×n) =
    /// A·B with B `inner`×n; A is stored row-major as `outer`×`inner`, or with `transposed` as
    /// `inner`×`outer` and used as its transpose (the relevance pass's product with the weights).
    static func columnSplitSgemmSeconds(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                        outer: Int, inner: Int, n: Int, groups: Int, transposed: Bool,
                                        threads: Int) -> Double {
        let parts = min(threads, n), split = Split(workers: parts)
        let lda = transposed ? outer : inner
        return best {
            Parallel.forEach(parts) { p in
                let cols = split.range(p, of: parts, extent: n)
                for gi in 0..<groups {
                    cblas_sgemm(CblasRowMajor, transposed ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(outer),
                                Int32(cols.count), Int32(inner), 1, a + gi * outer * inner, Int32(lda),
                                b + gi * inner * n + cols.lowerBound, Int32(n), 0, c + gi * outer * n + cols.lowerBound,
                                Int32(n))
                }
            }
        }
    }

    // MARK: helpers

    /// Seconds per call of `body`: one warm-up call, then three rounds of at least 50 ms (or one
    /// call) each; the fastest round.
    static func best(_ body: () -> Void) -> Double {
        body()
        var fastest = Double.infinity
        for _ in 0..<3 {
            var calls = 0
            let t0 = CNNBench.now()
            var elapsed = 0.0
            repeat {
                body()
                calls += 1
                elapsed = CNNBench.now() - t0
            } while elapsed < 0.05
            fastest = min(fastest, elapsed / Double(calls))
        }
        return fastest
    }

    /// Deterministic values in [-1, 1).
    static func fillNoise(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            p[i] = Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    // MARK: report

    /// The table of the `top` layer shapes by FLOPs and the totals, for one batch size.
    static func printReport(_ rows: [Row], batch: Int, threads: Int, top: Int, engineForward: Double) {
        func f(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
        func ms(_ s: Double) -> String { f(s * 1e3, 1) }
        print("")
        print("Per-layer forward products at batch \(batch), \(threads) threads, against OpenBLAS sgemm on the same GEMM "
            + "(ours: the engine's C kernels with its work split, timed outside the engine; times: fastest of 3 rounds)")
        print("| layer (×identical) | GEMM M×K·K×N (×groups) | GFLOP (all identical) | ours ms (all identical) | ours GFLOP/s | sgemm GFLOP/s | ours/sgemm | kernel path |")
        print("|---|---|---|---|---|---|---|---|")
        let sorted = rows.sorted { $0.flops * Double($0.count) > $1.flops * Double($1.count) }
        for r in sorted.prefix(top) {
            let s = r.shape
            let gemm = "\(s.m)×\(s.k)·\(s.k)×\(s.n(batch: batch))" + (s.groups > 1 ? " (×\(s.groups))" : "")
            print("| \(s.label) | \(gemm) | \(f(r.flops * Double(r.count) / 1e9, 2)) | \(ms(r.ours * Double(r.count))) | "
                + "\(f(r.oursRate, 1)) | \(f(r.sgemm, 1)) | \(f(100 * r.oursRate / r.sgemm, 0))% | \(r.path) |")
        }
        if sorted.count > top { print("(\(sorted.count - top) more layer shapes in the totals)") }
        let capped = rows.filter { sgemmColumns($0.shape, batch: batch) < $0.shape.n(batch: batch) }
        if !capped.isEmpty {
            print("(sgemm timed on the first \(maxBFloats) floats of B for \(capped.count) shape(s) with a larger im2col matrix, "
                + "e.g. \(capped[0].shape.label): N = \(sgemmColumns(capped[0].shape, batch: batch)) of \(capped[0].shape.n(batch: batch)); "
                + "a GEMM's rate does not depend on N at that size)")
        }
        var conv = Total(), dense = Total(), grouped = Total(), linear = Total(), all = Total()
        for r in rows {
            all.add(r)
            if r.shape.isLinear { linear.add(r); continue }
            conv.add(r)
            if r.shape.groups == 1 { dense.add(r) } else { grouped.add(r) }
        }
        print("")
        print("| totals at batch \(batch) | layers | GFLOP | ours ms | ours GFLOP/s | sgemm GFLOP/s, same shapes | ours/sgemm (goal ≥ 60% for convs) |")
        print("|---|---|---|---|---|---|---|")
        func line(_ name: String, _ t: Total) {
            guard t.layers > 0 else { return }
            print("| \(name) | \(t.layers) | \(f(t.flops / 1e9, 2)) | \(ms(t.ours)) | \(f(t.oursRate, 1)) | \(f(t.sgemmRate, 1)) | "
                + "**\(f(t.percent, 0))%** |")
        }
        line("all convolutions", conv)
        if grouped.layers > 0 {
            line("  one-group convolutions", dense)
            line("  grouped / depthwise", grouped)
        }
        line("linear layers", linear)
        line("all conv + linear", all)
        print(String(format: "Sum of these products %.1f ms (fastest rounds) against the engine's whole plain forward pass "
                     + "%.1f ms (median; the rest: activations, pooling, sums, copies).", all.ours * 1e3, engineForward * 1e3))
    }
}
