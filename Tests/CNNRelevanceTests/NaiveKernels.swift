import CKernels

/// Straightforward loops the C kernels are checked against (test-only reference code; written
/// from the definitions in lrpkernels.h §2, sharing nothing with the kernels).
enum Naive {
    struct Conv {
        var inC, inH, inW, outC, kH, kW, sH, sW, pT, pL, pB, pR, dH, dW, groups: Int
        var outH: Int { (inH + pT + pB - dH * (kH - 1) - 1) / sH + 1 }
        var outW: Int { (inW + pL + pR - dW * (kW - 1) - 1) / sW + 1 }
        var geometry: LrpConvGeometry {
            LrpConvGeometry(inChannels: Int32(inC), inHeight: Int32(inH), inWidth: Int32(inW),
                            outChannels: Int32(outC), outHeight: Int32(outH), outWidth: Int32(outW),
                            kernelH: Int32(kH), kernelW: Int32(kW), strideH: Int32(sH), strideW: Int32(sW),
                            padTop: Int32(pT), padLeft: Int32(pL), dilationH: Int32(dH), dilationW: Int32(dW),
                            groups: Int32(groups))
        }
        var weightCount: Int { outC * (inC / groups) * kH * kW }
        var inCount: Int { inC * inH * inW }
        var outCount: Int { outC * outH * outW }

        /// Calls `f(o, oh, ow, ci, ih, iw, weightIndex)` for every in-bounds connection.
        func connections(_ f: (Int, Int, Int, Int, Int, Int, Int) -> Void) {
            let cin = inC / groups, cout = outC / groups
            for o in 0..<outC {
                let g = o / cout
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        for c in 0..<cin {
                            for kh in 0..<kH {
                                for kw in 0..<kW {
                                    let ih = oh * sH - pT + kh * dH, iw = ow * sW - pL + kw * dW
                                    if ih < 0 || ih >= inH || iw < 0 || iw >= inW { continue }
                                    f(o, oh, ow, g * cin + c, ih, iw, ((o * cin + c) * kH + kh) * kW + kw)
                                }
                            }
                        }
                    }
                }
            }
        }

        func forward(_ x: [Float], _ w: [Float], _ b: [Float]?) -> [Float] {
            var y = [Double](repeating: 0, count: outCount)
            connections { o, oh, ow, c, ih, iw, k in
                y[(o * outH + oh) * outW + ow] += Double(w[k]) * Double(x[(c * inH + ih) * inW + iw])
            }
            return y.enumerated().map { i, v in Float(v + Double(b?[i / (outH * outW)] ?? 0)) }
        }

        func transposed(_ dy: [Float], _ w: [Float]) -> [Float] {
            var dx = [Double](repeating: 0, count: inCount)
            connections { o, oh, ow, c, ih, iw, k in
                dx[(c * inH + ih) * inW + iw] += Double(w[k]) * Double(dy[(o * outH + oh) * outW + ow])
            }
            return dx.map(Float.init)
        }
    }

    struct Pool {
        var C, inH, inW, outH, outW, kH, kW, sH, sW, pT, pL, pB, pR, dH, dW: Int
        var countIncludePad = false
        var geometry: LrpPoolGeometry {
            LrpPoolGeometry(channels: Int32(C), inHeight: Int32(inH), inWidth: Int32(inW), outHeight: Int32(outH),
                            outWidth: Int32(outW), kernelH: Int32(kH), kernelW: Int32(kW), strideH: Int32(sH),
                            strideW: Int32(sW), padTop: Int32(pT), padLeft: Int32(pL), padBottom: Int32(pB),
                            padRight: Int32(pR), dilationH: Int32(dH), dilationW: Int32(dW),
                            countIncludePad: countIncludePad ? 1 : 0)
        }
        /// Real (in-bounds) input indices of window (c, oh, ow), in scan order.
        func window(_ c: Int, _ oh: Int, _ ow: Int) -> [Int] {
            var r: [Int] = []
            for kh in 0..<kH {
                for kw in 0..<kW {
                    let ih = oh * sH - pT + kh * dH, iw = ow * sW - pL + kw * dW
                    if ih >= 0 && ih < inH && iw >= 0 && iw < inW { r.append((c * inH + ih) * inW + iw) }
                }
            }
            return r
        }
        /// Average-pooling divisor: real inputs, or (count_include_pad) the taps inside the padded extent.
        func divisor(_ oh: Int, _ ow: Int) -> Double {
            guard countIncludePad else { return Double(window(0, oh, ow).count) }
            var n = 0
            for kh in 0..<kH {
                for kw in 0..<kW {
                    let ih = oh * sH - pT + kh * dH, iw = ow * sW - pL + kw * dW
                    if ih >= -pT && ih < inH + pB && iw >= -pL && iw < inW + pR { n += 1 }
                }
            }
            return Double(n)
        }
        func forEachWindow(_ f: (Int, Int) -> Void) {  // (outIndex, c·outH·outW...) helper
            for c in 0..<C { for oh in 0..<outH { for ow in 0..<outW { f((c * outH + oh) * outW + ow, c) } } }
        }
    }
}
