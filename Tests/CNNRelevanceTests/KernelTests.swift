import CKernels
import XCTest

/// The C kernels of lrpkernels.h §2 against naive Swift loops, on both code paths.
final class KernelTests: XCTestCase {
    static let convCases: [(String, Naive.Conv)] = [
        ("3x3 pad 1", .init(inC: 5, inH: 9, inW: 11, outC: 7, kH: 3, kW: 3, sH: 1, sW: 1, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 1)),
        ("strided asymmetric pads", .init(inC: 3, inH: 13, inW: 10, outC: 4, kH: 3, kW: 2, sH: 2, sW: 3, pT: 2, pL: 0, pB: 1, pR: 2, dH: 1, dW: 1, groups: 1)),
        ("dilated", .init(inC: 4, inH: 12, inW: 12, outC: 6, kH: 3, kW: 3, sH: 1, sW: 1, pT: 2, pL: 2, pB: 2, pR: 2, dH: 2, dW: 2, groups: 1)),
        ("grouped strided", .init(inC: 8, inH: 9, inW: 9, outC: 12, kH: 3, kW: 3, sH: 2, sW: 2, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 4)),
        ("pointwise", .init(inC: 16, inH: 7, inW: 9, outC: 10, kH: 1, kW: 1, sH: 1, sW: 1, pT: 0, pL: 0, pB: 0, pR: 0, dH: 1, dW: 1, groups: 1)),
        ("pointwise strided", .init(inC: 6, inH: 8, inW: 8, outC: 5, kH: 1, kW: 1, sH: 2, sW: 2, pT: 0, pL: 0, pB: 0, pR: 0, dH: 1, dW: 1, groups: 1)),
        ("depthwise 3x3 s1", .init(inC: 6, inH: 21, inW: 19, outC: 6, kH: 3, kW: 3, sH: 1, sW: 1, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 6)),
        ("depthwise 3x3 s1 unpadded", .init(inC: 3, inH: 12, inW: 20, outC: 3, kH: 3, kW: 3, sH: 1, sW: 1, pT: 0, pL: 0, pB: 0, pR: 0, dH: 1, dW: 1, groups: 3)),
        ("depthwise 3x3 s1 pad 2", .init(inC: 2, inH: 5, inW: 17, outC: 2, kH: 3, kW: 3, sH: 1, sW: 1, pT: 2, pL: 2, pB: 2, pR: 2, dH: 1, dW: 1, groups: 2)),
        ("depthwise 3x3 s2", .init(inC: 5, inH: 14, inW: 15, outC: 5, kH: 3, kW: 3, sH: 2, sW: 2, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 5)),
        ("depthwise 3x3 s2 unpadded, odd", .init(inC: 3, inH: 9, inW: 12, outC: 3, kH: 3, kW: 3, sH: 2, sW: 2, pT: 0, pL: 0, pB: 0, pR: 0, dH: 1, dW: 1, groups: 3)),
        ("depthwise 3x3 s2 multiplier 2, asymmetric pads", .init(inC: 2, inH: 10, inW: 11, outC: 4, kH: 3, kW: 3, sH: 2, sW: 2, pT: 1, pL: 0, pB: 0, pR: 1, dH: 1, dW: 1, groups: 2)),
        ("depthwise 3x3 s1 wide", .init(inC: 2, inH: 6, inW: 37, outC: 2, kH: 3, kW: 3, sH: 1, sW: 1, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 2)),
        ("depthwise 3x3 s2 wide", .init(inC: 2, inH: 7, inW: 41, outC: 2, kH: 3, kW: 3, sH: 2, sW: 2, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 2)),
        ("depthwise multiplier 2", .init(inC: 4, inH: 10, inW: 10, outC: 8, kH: 3, kW: 3, sH: 1, sW: 1, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 4)),
        ("depthwise 5x5 dilated", .init(inC: 3, inH: 16, inW: 13, outC: 3, kH: 5, kW: 5, sH: 1, sW: 2, pT: 4, pL: 3, pB: 4, pR: 1, dH: 2, dW: 1, groups: 3)),
        ("narrow (1 px)", .init(inC: 2, inH: 1, inW: 1, outC: 3, kH: 3, kW: 3, sH: 1, sW: 1, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, groups: 1)),
    ]

    func testConvForwardMatchesNaiveLoops() {
        var rng = SeededRandom(1)
        withBothPaths { path in
            for (name, c) in Self.convCases {
                var g = c.geometry
                XCTAssertEqual(lrp_conv_check(&g), 0, name)
                let x = rng.floats(c.inCount), w = rng.floats(c.weightCount), b = rng.floats(c.outC)
                let expected = c.forward(x, w, b)
                let wsFull = lrp_conv_forward_workspace(&g)
                // whole output at once, and in two row ranges with the smallest workspace (1 row blocks)
                var y = [Float](repeating: .nan, count: c.outCount)
                var ws = [Float](repeating: 0, count: max(1, wsFull))
                XCTAssertEqual(lrp_conv_forward(&g, x, w, b, &y, 0, Int32(c.outH), &ws, ws.count), 0)
                assertClose(y, expected, "\(path) \(name) forward")
                let kc = (c.inC / c.groups) * c.kH * c.kW
                let oneRow = wsFull == 0 ? 0 : kc * c.outW
                var small = [Float](repeating: 0, count: max(1, oneRow))
                var y2 = [Float](repeating: .nan, count: c.outCount)
                let mid = Int32(c.outH / 2)
                XCTAssertEqual(lrp_conv_forward(&g, x, w, nil, &y2, 0, mid, &small, oneRow), 0)
                XCTAssertEqual(lrp_conv_forward(&g, x, w, nil, &y2, mid, Int32(c.outH), &small, oneRow), 0)
                assertClose(y2, c.forward(x, w, nil), "\(path) \(name) forward by rows, no bias")
                // by output-channel ranges (uneven split, crossing groups)
                var y3 = [Float](repeating: .nan, count: c.outCount)
                let cut = Int32(max(1, c.outC / 3 + 1))
                XCTAssertEqual(lrp_conv_forward_channels(&g, x, w, b, &y3, 0, cut, &ws, ws.count), 0)
                XCTAssertEqual(lrp_conv_forward_channels(&g, x, w, b, &y3, cut, Int32(c.outC), &ws, ws.count), 0)
                assertClose(y3, expected, "\(path) \(name) forward by channels")
                // im2col needs its workspace; depthwise uses it for the AVX2 plane and otherwise
                // falls back to the generic loops (the one-row workspace above exercised that)
                if wsFull > 0 && c.inC != c.groups {
                    XCTAssertEqual(lrp_conv_forward(&g, x, w, nil, &y2, 0, 1, &small, oneRow - 1), LRP_E_NOMEM.rawValue,
                                   "\(name): too small a workspace is reported")
                }
            }
        }
    }

    func testConvTransposedMatchesNaiveLoops() {
        var rng = SeededRandom(2)
        withBothPaths { path in
            for (name, c) in Self.convCases {
                var g = c.geometry
                let dy = rng.floats(c.outCount), w = rng.floats(c.weightCount)
                let expected = c.transposed(dy, w)
                let wsFull = lrp_conv_backward_workspace(&g)
                var ws = [Float](repeating: 0, count: max(1, wsFull))
                var dx = [Float](repeating: .nan, count: c.inCount)
                let mid = Int32(c.inC / 2)
                XCTAssertEqual(lrp_conv_backward_data(&g, w, dy, &dx, 0, mid, &ws, ws.count), 0)
                XCTAssertEqual(lrp_conv_backward_data(&g, w, dy, &dx, mid, Int32(c.inC), &ws, ws.count), 0)
                assertClose(dx, expected, "\(path) \(name) transposed")
                if wsFull > 0 {  // row-blocked col2im with a one-row workspace
                    let oneRow = c.kH * c.kW * c.outW
                    var small = [Float](repeating: 0, count: oneRow)
                    var dx2 = [Float](repeating: .nan, count: c.inCount)
                    XCTAssertEqual(lrp_conv_backward_data(&g, w, dy, &dx2, 0, Int32(c.inC), &small, oneRow), 0)
                    assertClose(dx2, expected, "\(path) \(name) transposed, row blocks")
                }
            }
        }
    }

    /// The batched pointwise products give exactly the per-sample products, for any column split.
    func testPointwiseBatchEqualsPerSampleProducts() {
        var rng = SeededRandom(7)
        let c = Naive.Conv(inC: 11, inH: 5, inW: 7, outC: 9, kH: 1, kW: 1, sH: 1, sW: 1, pT: 0, pL: 0, pB: 0, pR: 0,
                           dH: 1, dW: 1, groups: 1)
        var g = c.geometry
        let batch = 3, spatial = 35
        let x = rng.floats(batch * c.inCount), w = rng.floats(c.weightCount), b = rng.floats(c.outC)
        let dy = rng.floats(batch * c.outCount)
        var ws = [Float](repeating: 0, count: lrp_pointwise_batch_workspace(&g))
        var expectedY = [Float](repeating: 0, count: batch * c.outCount)
        var expectedDx = [Float](repeating: 0, count: batch * c.inCount)
        var none: [Float] = [0]
        for n in 0..<batch {
            var y = [Float](repeating: 0, count: c.outCount), dx = [Float](repeating: 0, count: c.inCount)
            XCTAssertEqual(lrp_conv_forward(&g, Array(x[n * c.inCount..<(n + 1) * c.inCount]), w, b, &y, 0, Int32(c.outH),
                                            &none, 0), 0)
            XCTAssertEqual(lrp_conv_backward_data(&g, w, Array(dy[n * c.outCount..<(n + 1) * c.outCount]), &dx, 0,
                                                  Int32(c.inC), &none, 0), 0)
            expectedY.replaceSubrange(n * c.outCount..<(n + 1) * c.outCount, with: y)
            expectedDx.replaceSubrange(n * c.inCount..<(n + 1) * c.inCount, with: dx)
        }
        for cut in [0, 1, 34, 35, 50, batch * spatial] {
            var y = [Float](repeating: .nan, count: batch * c.outCount), dx = [Float](repeating: .nan, count: batch * c.inCount)
            for (lo, hi) in [(0, cut), (cut, batch * spatial)] {
                XCTAssertEqual(lrp_pointwise_forward_batch(&g, x, Int32(batch), w, b, &y, Int32(lo), Int32(hi), &ws, ws.count), 0)
                XCTAssertEqual(lrp_pointwise_backward_batch(&g, w, dy, Int32(batch), &dx, Int32(lo), Int32(hi), &ws, ws.count), 0)
            }
            // same summation order: equal up to the GEMM kernel's handling of edge columns
            assertClose(y, expectedY, "forward, split at \(cut)")
            assertClose(dx, expectedDx, "transposed, split at \(cut)")
        }
        var strided = Naive.Conv(inC: 4, inH: 6, inW: 6, outC: 3, kH: 1, kW: 1, sH: 2, sW: 2, pT: 0, pL: 0, pB: 0, pR: 0,
                                 dH: 1, dW: 1, groups: 1).geometry
        var y = [Float](repeating: 0, count: 27)
        XCTAssertEqual(lrp_pointwise_forward_batch(&strided, x, 1, w, nil, &y, 0, 9, &ws, ws.count), LRP_E_ARGUMENT.rawValue)
        XCTAssertEqual(lrp_pointwise_forward_batch(&g, x, Int32(batch), w, nil, &y, 0, 35, &ws, 10), LRP_E_NOMEM.rawValue)
    }

    func testConvRejectsBadArguments() {
        var g = Self.convCases[3].1.geometry
        g.groups = 3  // 8 channels not divisible by 3
        XCTAssertEqual(lrp_conv_check(&g), LRP_E_ARGUMENT.rawValue)
        var ok = Self.convCases[0].1.geometry
        var y = [Float](repeating: 0, count: 10)
        XCTAssertEqual(lrp_conv_forward(&ok, y, y, nil, &y, 0, ok.outHeight + 1, nil, 0), LRP_E_ARGUMENT.rawValue)
    }

    func testLinearMatchesNaiveLoops() {
        var rng = SeededRandom(3)
        let (n, inF, outF) = (3, 17, 9)
        let x = rng.floats(n * inF), w = rng.floats(outF * inF), b = rng.floats(outF), dy = rng.floats(n * outF)
        var y = [Float](repeating: .nan, count: n * outF), dx = [Float](repeating: .nan, count: n * inF)
        XCTAssertEqual(lrp_linear_forward(x, Int32(n), Int32(inF), w, Int32(outF), b, &y, 0, 4), 0)
        XCTAssertEqual(lrp_linear_forward(x, Int32(n), Int32(inF), w, Int32(outF), b, &y, 4, Int32(outF)), 0)
        XCTAssertEqual(lrp_linear_backward_data(dy, Int32(n), Int32(outF), w, Int32(inF), &dx, 0, 5), 0)
        XCTAssertEqual(lrp_linear_backward_data(dy, Int32(n), Int32(outF), w, Int32(inF), &dx, 5, Int32(inF)), 0)
        var ey = [Float](), edx = [Float]()
        for s in 0..<n {
            for o in 0..<outF { ey.append(b[o] + (0..<inF).reduce(0) { $0 + w[o * inF + $1] * x[s * inF + $1] }) }
            for i in 0..<inF { edx.append((0..<outF).reduce(0) { $0 + w[$1 * inF + i] * dy[s * outF + $1] }) }
        }
        assertClose(y, ey, "linear forward")
        assertClose(dx, edx, "linear transposed")
    }

    func testFlatSpreadAndGroupSumsMatchNaiveLoops() {
        var rng = SeededRandom(4)
        for (name, c) in Self.convCases {
            var g = c.geometry
            let spatial = c.outH * c.outW
            let r = rng.floats(c.outCount)
            var sums = [Float](repeating: .nan, count: c.groups * spatial)
            XCTAssertEqual(lrp_conv_group_sums(&g, r, &sums, 0, Int32(c.groups)), 0)
            let perGroup = c.outC / c.groups
            var expectedSums = [Float](repeating: 0, count: c.groups * spatial)
            for o in 0..<c.outC { for p in 0..<spatial { expectedSums[(o / perGroup) * spatial + p] += r[o * spatial + p] } }
            assertClose(sums, expectedSums, "\(name) group sums")
            // spread of group 0 against a one-group, one-channel view of the connections
            let s = Array(sums[0..<spatial])
            var out = [Float](repeating: .nan, count: c.inH * c.inW)
            XCTAssertEqual(lrp_conv_flat_spread(&g, s, 0.5, 1e-6, &out), 0)
            var count = [Double](repeating: 0, count: spatial)  // real taps × input channels per group
            c.connections { o, oh, ow, _, _, _, _ in if o == 0 { count[oh * c.outW + ow] += 1 } }
            var expected = [Double](repeating: 0, count: c.inH * c.inW)
            c.connections { o, oh, ow, ci, ih, iw, _ in
                if o == 0 && ci == 0 {
                    let p = oh * c.outW + ow
                    expected[ih * c.inW + iw] += 0.5 * Double(s[p]) / (count[p] + 1e-6)
                }
            }
            assertClose(out, expected.map(Float.init), "\(name) flat spread")
        }
    }

    static let poolCases: [(String, Naive.Pool)] = [
        ("3x3 s2 ceil", .init(C: 3, inH: 6, inW: 6, outH: 3, outW: 3, kH: 3, kW: 3, sH: 2, sW: 2, pT: 0, pL: 0, pB: 1, pR: 1, dH: 1, dW: 1)),
        ("3x3 s2 pad 1", .init(C: 2, inH: 8, inW: 7, outH: 4, outW: 4, kH: 3, kW: 3, sH: 2, sW: 2, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1)),
        ("3x3 s2 pad 1 count pad", .init(C: 2, inH: 8, inW: 7, outH: 4, outW: 4, kH: 3, kW: 3, sH: 2, sW: 2, pT: 1, pL: 1, pB: 1, pR: 1, dH: 1, dW: 1, countIncludePad: true)),
        ("2x2 s2", .init(C: 4, inH: 8, inW: 8, outH: 4, outW: 4, kH: 2, kW: 2, sH: 2, sW: 2, pT: 0, pL: 0, pB: 0, pR: 0, dH: 1, dW: 1)),
        ("dilated", .init(C: 2, inH: 9, inW: 9, outH: 5, outW: 5, kH: 2, kW: 2, sH: 2, sW: 2, pT: 1, pL: 0, pB: 1, pR: 1, dH: 2, dW: 2)),
        ("global", .init(C: 5, inH: 4, inW: 3, outH: 1, outW: 1, kH: 4, kW: 3, sH: 1, sW: 1, pT: 0, pL: 0, pB: 0, pR: 0, dH: 1, dW: 1)),
    ]

    func testPoolingMatchesNaiveLoops() {
        var rng = SeededRandom(5)
        for (name, p) in Self.poolCases {
            var g = p.geometry
            XCTAssertEqual(lrp_pool_check(&g), 0, name)
            let inN = p.C * p.inH * p.inW, outN = p.C * p.outH * p.outW
            var x = rng.floats(inN)
            x[1] = x[0]  // a tie: the first in scan order wins
            let r = rng.floats(outN), xPos = x.map { abs($0) + 0.1 }
            var maxE = [Float](repeating: 0, count: outN), avgE = [Float](repeating: 0, count: outN)
            var wta = [Float](repeating: 0, count: inN), flat = [Float](repeating: 0, count: inN)
            var propAvg = [Double](repeating: 0, count: inN), propSum = [Double](repeating: 0, count: inN)
            p.forEachWindow { j, c in
                let oh = (j / p.outW) % p.outH, ow = j % p.outW
                let win = p.window(c, oh, ow)
                var best = win[0]
                for i in win where x[i] > x[best] { best = i }
                maxE[j] = x[best]
                wta[best] += r[j]
                let d = p.divisor(oh, ow)
                avgE[j] = Float(win.reduce(0.0) { $0 + Double(x[$1]) } / d)
                for i in win { flat[i] += r[j] / Float(win.count) }
                let zAvg = win.reduce(0.0) { $0 + Double(xPos[$1]) } / d, zSum = zAvg * d
                for i in win {
                    propAvg[i] += Double(xPos[i]) / d * Double(r[j]) / (zAvg + 1e-6)
                    propSum[i] += Double(xPos[i]) * Double(r[j]) / (zSum + 1e-6)
                }
            }
            var y = [Float](repeating: .nan, count: outN), rin = [Float](repeating: .nan, count: inN)
            XCTAssertEqual(lrp_maxpool_forward(&g, x, &y, 0, Int32(p.C)), 0)
            assertClose(y, maxE, "\(name) max forward")
            XCTAssertEqual(lrp_avgpool_forward(&g, x, &y, 0, 1), 0)
            XCTAssertEqual(lrp_avgpool_forward(&g, x, &y, 1, Int32(p.C)), 0)
            assertClose(y, avgE, "\(name) avg forward")
            XCTAssertEqual(lrp_maxpool_backward_wta(&g, x, r, &rin, 0, Int32(p.C)), 0)
            assertClose(rin, wta, "\(name) winner-take-all")
            XCTAssertEqual(lrp_pool_backward_flat(&g, r, &rin, 0, Int32(p.C)), 0)
            assertClose(rin, flat, "\(name) flat")
            XCTAssertEqual(lrp_pool_backward_proportional(&g, xPos, r, &rin, 0, 1e-6, 0, Int32(p.C)), 0)
            assertClose(rin, propAvg.map(Float.init), "\(name) proportional (average)")
            XCTAssertEqual(lrp_pool_backward_proportional(&g, xPos, r, &rin, 1, 1e-6, 0, Int32(p.C)), 0)
            assertClose(rin, propSum.map(Float.init), "\(name) proportional (sum pooling)")
        }
        var bad = Self.poolCases[0].1.geometry
        bad.outHeight = 5  // last window would start below the input
        XCTAssertEqual(lrp_pool_check(&bad), LRP_E_ARGUMENT.rawValue)
    }

    func testElementwiseRulesMatchNaiveLoops() {
        var rng = SeededRandom(6)
        withBothPaths { path in
            let n = 1003
            var z = rng.floats(n, -2...2), r = rng.floats(n)
            z[0] = 0; z[1] = 0; r[1] = 0
            var g = [Float](repeating: .nan, count: n)
            lrp_epsilon_normalize(r, z, 0.25, &g, n)
            assertClose(g, (0..<n).map { r[$0] / (z[$0] + (z[$0] >= 0 ? 0.25 : -0.25)) }, "\(path) epsilon")
            lrp_epsilon_normalize(r, z, 0, &g, n)
            XCTAssertEqual(g[1], 0, "\(path): 0/0 = 0")
            XCTAssertEqual(lrp_has_negative(z.map { abs($0) }, n), 0)
            XCTAssertEqual(lrp_has_negative(z, n), 1)
            var pos = g, neg = g, y = g
            lrp_split_sign(z, &pos, &neg, n)
            XCTAssertEqual(pos, z.map { max($0, 0) })
            XCTAssertEqual(neg, z.map { min($0, 0) })
            let a = rng.floats(n), b = rng.floats(n)
            lrp_signed_mul(z, a, b, &y, n)
            assertClose(y, (0..<n).map { max(z[$0], 0) * a[$0] + min(z[$0], 0) * b[$0] }, "\(path) signed mul")
            var ra = g, rb = g
            lrp_sum_split(a, b, r, 1e-6, &ra, &rb, n)
            let sa = (0..<n).map { i -> Float in let s = a[i] + b[i]; return a[i] * r[i] / (s + (s >= 0 ? 1e-6 : -1e-6)) }
            assertClose(ra, sa, tol: 1e-4, "\(path) sum split a")
            lrp_clip(z, -0.5, 1.5, &y, n)
            XCTAssertEqual(y, z.map { min(max($0, -0.5), 1.5) })
            lrp_relu(z, &y, n)
            XCTAssertEqual(y, z.map { max($0, 0) })

            // alpha-beta: 2 groups × 3 outputs × 5 positions, with and without negative inputs
            let (groups, per, sp) = (2, 3, 5)
            let rr = rng.floats(groups * per * sp), pn0 = rng.floats(2 * groups * per * sp, 0...1).enumerated().map { i, v in
                (i / (per * sp)) % 2 == 0 ? v : -v
            }
            let q = rng.floats(2 * groups * per * sp, 0...1).enumerated().map { i, v in (i / (per * sp)) % 2 == 0 ? -v : v }
            let bp = rng.floats(groups * per, 0...1), bn = rng.floats(groups * per, -1...0)
            for withNeg in [false, true] {
                var pn = [Float](repeating: .nan, count: pn0.count)
                XCTAssertEqual(lrp_alphabeta_normalize(rr, pn0, withNeg ? q : nil, bp, bn, Int32(groups), Int32(per),
                                                       Int32(sp), 0, 2, 2, 1, 1e-6, &pn), 0)
                XCTAssertEqual(lrp_alphabeta_normalize(rr, pn0, withNeg ? q : nil, bp, bn, Int32(groups), Int32(per),
                                                       Int32(sp), 2, Int32(sp), 2, 1, 1e-6, &pn), 0)
                for k in 0..<groups {
                    for o in 0..<per {
                        for p in 0..<sp {
                            let ip = ((2 * k) * per + o) * sp + p, iN = ((2 * k + 1) * per + o) * sp + p
                            let oc = k * per + o
                            let P = pn0[ip] + (withNeg ? q[iN] : 0) + bp[oc]
                            let N = pn0[iN] + (withNeg ? q[ip] : 0) + bn[oc]
                            let R = rr[oc * sp + p]
                            XCTAssertEqual(pn[ip], 2 * R / (P + 1e-6), accuracy: 1e-4 * max(1, abs(pn[ip])), "\(path) a")
                            XCTAssertEqual(pn[iN], -R / (N + (N >= 0 ? 1e-6 : -1e-6)), accuracy: 1e-4 * max(1, abs(pn[iN])), "\(path) b")
                        }
                    }
                }
            }
        }
    }

    func testPadCropAndAffine() {
        var rng = SeededRandom(7)
        let (c, h, w) = (2, 3, 4)
        let x = rng.floats(c * h * w)
        var y = [Float](repeating: .nan, count: c * 6 * 7)
        lrp_pad2d(x, Int32(c), Int32(h), Int32(w), 1, 2, 2, 1, 9, &y)
        var back = [Float](repeating: .nan, count: c * h * w)
        lrp_crop2d(y, Int32(c), Int32(h), Int32(w), 1, 2, 2, 1, &back)
        XCTAssertEqual(back, x)
        XCTAssertEqual(y.filter { $0 == 9 }.count, c * (6 * 7 - h * w))
        let scale: [Float] = [2, -3], shift: [Float] = [0.5, 1]
        var z = [Float](repeating: .nan, count: c * h * w)
        lrp_channel_affine(x, scale, shift, Int32(c), h * w, &z)
        XCTAssertEqual(z[13], -3 * x[13] + 1)
        let r = rng.floats(c * h * w)
        var rin = z
        lrp_channel_affine_epsilon(x, scale, z, r, 0.1, Int32(c), h * w, &rin)
        let i = 17
        XCTAssertEqual(rin[i], x[i] * -3 * r[i] / (z[i] + (z[i] >= 0 ? 0.1 : -0.1)), accuracy: 1e-5)
    }
}

extension KernelTests {
    /// `lrp_all_finite` finds one infinity or NaN anywhere (block or tail), and accepts the
    /// extremes of the finite range.
    func testAllFinite() {
        var x: [Float] = (0..<203).map { Float($0) - 100 }
        x[7] = .greatestFiniteMagnitude; x[8] = -.greatestFiniteMagnitude; x[9] = .leastNonzeroMagnitude
        XCTAssertEqual(lrp_all_finite(x, x.count), 1)
        for position in [0, 63, 64, 150, 202] {
            for bad in [Float.nan, .infinity, -.infinity] {
                var y = x
                y[position] = bad
                XCTAssertEqual(lrp_all_finite(y, y.count), 0, "\(bad) at \(position)")
            }
        }
        XCTAssertEqual(lrp_all_finite(x, 0), 1)
    }
}
