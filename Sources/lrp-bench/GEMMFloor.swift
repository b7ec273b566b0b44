import CNNRelevance
import Foundation

/// The least time an explanation with a preset's rules can take on this machine with OpenBLAS
/// (`lrp-bench cnn`): every GEMM the rules form, each timed as one OpenBLAS sgemm on its exact
/// shape, and nothing else — depthwise and other grouped convolutions, activations, the rules'
/// elementwise steps, im2col and memory traffic all count as free. An engine can only come
/// near it, so a speed goal below `floor / zennit` asks for a GEMM faster than OpenBLAS's on
/// these shapes (or for fewer products, which the precision policy of DESIGN §2.2 rules out).
///
/// The products are the engine's (DESIGN §2.2), per layer, as GEMMs of `rows` × M rows: a
/// forward product `(rows·M)×K · K×N` with the weights stacked per group, or a transposed one
/// `K×(rows·M) · (rows·M)×N` in the relevance pass. Alpha-beta on a non-negative input: forward
/// `[w⁺; w⁻; w]`, transposed `[w⁺; w⁻]`; on an input with negative values: forward `w`, then
/// `[w⁺; w⁻]` with x⁺ and again with x⁻, transposed `[w⁺; w⁻]` and `[w⁻; w⁺]`. z-plus: `[w⁺; w]`
/// and `w⁺`, or `w`, `w⁺`, `w⁻` and `w⁺`, `w⁻`. Epsilon, z and w²: `w` and one transposed;
/// z-box three transposed; flat only the forward `w` (its spread is not a GEMM). Which layers
/// had negative inputs comes from the engine's own forward pass on the benchmark input.
enum GEMMFloor {
    /// One GEMM: `rows` stacked copies of M, transposed (relevance pass) or not (forward).
    struct Product: Hashable {
        var rows: Int
        var transposed: Bool
    }

    /// The GEMMs of a rule by its name (`MappingLayerInfo.rule`), or nil for an unknown rule.
    static func products(rule: String, negativeInput: Bool) -> [Product]? {
        let f = { Product(rows: $0, transposed: false) }, t = { Product(rows: $0, transposed: true) }
        if rule.hasPrefix("alpha-beta") {
            return negativeInput ? [f(1), f(2), f(2), t(2), t(2)] : [f(3), t(2)]
        }
        switch rule {
        case "z-plus": return negativeInput ? [f(1), f(1), f(1), t(1), t(1)] : [f(2), t(1)]
        case "flat": return [f(1)]
        case "wsquare": return [f(1), t(1)]
        case "zbox": return [f(1), t(1), t(1), t(1)]
        default: return rule == "z" || rule.hasPrefix("epsilon") ? [f(1), t(1)] : nil
        }
    }

    struct Floor {
        /// Seconds for the batch.
        var seconds = 0.0
        /// GFLOP of the products counted.
        var gflop = 0.0
        var layers = 0
        /// Of those, layers with negative input values (more products).
        var negative = 0
        /// Grouped/depthwise layers, counted as free.
        var grouped = 0
        /// Rules without a product count (their layers are left out).
        var unknownRules: Set<String> = []
    }

    /// Times every distinct GEMM of the one-group layers with `threads` single-threaded sgemms
    /// on column blocks (the engine's own split, `LayerGEMMBench.columnSplitSgemmSeconds`).
    static func measure(_ shapes: [LayerGEMMBench.Shape], rules: [String: String], negative: Set<String>,
                        batch: Int, threads: Int) -> Floor {
        var floor = Floor()
        var cache: [Int: [Product: Double]] = [:]  // seconds by shape index and product
        for (i, s) in shapes.enumerated() {
            guard s.groups == 1 else { floor.grouped += s.names.count; continue }
            for name in s.names {
                let rule = rules[name] ?? "?"
                let isNegative = negative.contains(name)
                guard let list = products(rule: rule, negativeInput: isNegative) else {
                    floor.unknownRules.insert(rule)
                    continue
                }
                for p in list {
                    let t = cache[i]?[p] ?? seconds(s, rows: p.rows, transposed: p.transposed, batch: batch, threads: threads)
                    cache[i, default: [:]][p] = t
                    floor.seconds += t
                    floor.gflop += Double(p.rows) * s.flops(batch: batch) / 1e9
                }
                floor.layers += 1
                if isNegative { floor.negative += 1 }
            }
        }
        return floor
    }

    /// Seconds of one product of the shape at `batch` with `rows` × M rows: forward
    /// `(rows·M)×K · K×N`, or transposed `K×(rows·M) · (rows·M)×N` (A stored as `(rows·M)×K`, as
    /// the engine keeps the weights). Timed on at most `LayerGEMMBench.maxBFloats` floats of B and
    /// of C and scaled to the full N: a GEMM's rate no longer depends on N there.
    static func seconds(_ s: LayerGEMMBench.Shape, rows: Int, transposed: Bool, batch: Int, threads: Int) -> Double {
        let m = rows * s.m, k = s.k, fullN = s.n(batch: batch)
        let (inner, outer) = transposed ? (m, k) : (k, m)
        let n = max(1, min(fullN, LayerGEMMBench.maxBFloats / max(inner, outer)))
        let a = FloatArrayBox(count: m * k), b = FloatArrayBox(count: inner * n), c = FloatArrayBox(count: outer * n)
        LayerGEMMBench.fillNoise(a.pointer, m * k)
        LayerGEMMBench.fillNoise(b.pointer, inner * n)
        let t = LayerGEMMBench.columnSplitSgemmSeconds(a: a.pointer, b: b.pointer, c: c.pointer, outer: outer, inner: inner,
                                                       n: n, groups: 1, transposed: transposed, threads: threads)
        return t * Double(fullN) / Double(n)
    }

    /// One line: the floor for the batch and, when zennit ran, as a ratio to zennit's time.
    static func report(_ f: Floor, batch: Int, preset: String, zennit: Double?, ours: Double) {
        var line = String(format: "GEMM floor at batch %d (preset %@): %.3g ms per batch, %.3g ms per image — %.3g GFLOP of "
                          + "the engine's products of %d one-group conv/linear layers (%d with negative inputs) at "
                          + "OpenBLAS sgemm's speed on their exact shapes, everything else free", batch, preset,
                          f.seconds * 1e3, f.seconds * 1e3 / Double(batch), f.gflop, f.layers, f.negative)
        if f.grouped > 0 { line += ", \(f.grouped) grouped/depthwise layers free" }
        if !f.unknownRules.isEmpty { line += "; left out: rules \(f.unknownRules.sorted().joined(separator: ", "))" }
        line += String(format: "; ours / floor %.2f", ours / f.seconds)
        if let zennit { line += String(format: "; **floor / zennit %.3f**", f.seconds / zennit) }
        print(line)
    }
}
