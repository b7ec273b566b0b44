import Foundation

/// The perturbation-curve figure (docs/DESIGN.md §10.2): one row per model family, MoRF on the
/// left and LeRF on the right, y = mean over images of f(x⁽⁰⁾) − f(x⁽ᵏ⁾) against step k, one
/// line per method, the legend to the right of each row. The CNN's cut-off sweep is drawn in
/// one colour ramp (dark = K 0, light = deepest), other presets and the FV resolutions in
/// distinct colours, baselines dashed.
public enum CurvePlot {
    public static func draw(_ result: FaithfulnessResult, kind: Canvas.Kind) throws -> Canvas {
        let families = ModelFamily.allCases.filter { f in result.methods.contains { $0.method.family == f } }
        let panelW = 380.0, panelH = 260.0, legendW = 250.0, margin = 56.0, top = 40.0, rowGap = 70.0
        let perRowLegend = families.map { f in Double(result.methods.filter { $0.method.family == f }.count) * 16 + 20 }
        let rowHeights = zip(families, perRowLegend).map { max(panelH, $1) }
        let width = Int(margin + 2 * (panelW + margin) + legendW)
        let height = Int(top + rowHeights.reduce(0, +) + Double(families.count) * rowGap)
        let canvas = try Canvas(width: width, height: max(height, 200), kind: kind)
        canvas.text("Region perturbation: mean f(x⁰) − f(xᵏ) over \(result.timing.images) images "
                    + "(\(result.settings.regionSize)×\(result.settings.regionSize) regions, uniform noise)",
                    x: margin, y: 24, size: 15, bold: true)
        var y0 = top + 30
        for (row, family) in families.enumerated() {
            let methods = result.methods.filter { $0.method.family == family }
            let colours = Self.colours(methods.map(\.method))
            let values = methods.flatMap { $0.meanDropMoRF + $0.meanDropLeRF }.filter(\.isFinite)
            var lo = min(0, values.min() ?? 0), hi = max(values.max() ?? 1, lo + 1e-6)
            let pad = (hi - lo) * 0.05
            lo -= pad; hi += pad
            for (col, order) in PerturbationOrder.allCases.enumerated() {
                let x0 = margin + Double(col) * (panelW + margin)
                canvas.stroke(x: x0, y: y0, width: panelW, height: panelH, color: .grey)
                canvas.text("\(family.displayName) — \(order.rawValue)", x: x0 + panelW / 2, y: y0 - 8, size: 13, bold: true, align: .center)
                // axes: ticks at 5 levels and at every 4th scored step
                for t in 0...4 {
                    let v = lo + (hi - lo) * Double(t) / 4
                    let y = y0 + panelH - panelH * Double(t) / 4
                    canvas.polyline([(x0 - 4, y), (x0, y)], color: .grey, lineWidth: 1)
                    canvas.text(String(format: "%.2f", v), x: x0 - 6, y: y + 4, size: 10, align: .right)
                }
                let steps = result.scoredSteps
                let maxStep = Double(steps.last ?? 1)
                for (i, s) in steps.enumerated() where i % 4 == 0 || i == steps.count - 1 {
                    let x = x0 + panelW * Double(s) / max(maxStep, 1)
                    canvas.polyline([(x, y0 + panelH), (x, y0 + panelH + 4)], color: .grey, lineWidth: 1)
                    canvas.text("\(s)", x: x, y: y0 + panelH + 16, size: 10, align: .center)
                }
                canvas.text("step k (regions replaced)", x: x0 + panelW / 2, y: y0 + panelH + 32, size: 11, align: .center)
                if lo < 0 {
                    let yz = y0 + panelH - panelH * (0 - lo) / (hi - lo)
                    canvas.polyline([(x0, yz), (x0 + panelW, yz)], color: RGBA(0.8, 0.8, 0.8), lineWidth: 1)
                }
                for (m, colour) in zip(methods, colours) {
                    let drop = order == .morf ? m.meanDropMoRF : m.meanDropLeRF
                    let pts = zip(steps, drop).map { s, d in
                        (x: x0 + panelW * Double(s) / max(maxStep, 1), y: y0 + panelH - panelH * (d - lo) / (hi - lo))
                    }
                    canvas.polyline(pts, color: colour, lineWidth: m.method.kind == .lrp ? 1.6 : 2.2,
                                    dash: m.method.kind == .lrp ? [] : [6, 4])
                }
            }
            // legend, with ABPC
            let lx = margin + 2 * (panelW + margin) - 20
            canvas.text("method (ABPC)", x: lx, y: y0 + 4, size: 11, bold: true)
            for (i, (m, colour)) in zip(methods, colours).enumerated() {
                let ly = y0 + 20 + Double(i) * 16
                canvas.polyline([(lx, ly - 4), (lx + 22, ly - 4)], color: colour, lineWidth: 2.5,
                                dash: m.method.kind == .lrp ? [] : [6, 4])
                canvas.text("\(shortLabel(m.method)) (\(String(format: "%.3f", m.abpc.mean)))", x: lx + 28, y: ly, size: 11)
            }
            y0 += rowHeights[row] + rowGap
        }
        return canvas
    }

    static func shortLabel(_ m: FaithfulnessMethod) -> String {
        switch m.kind {
        case .random: return "random"
        case .centrePrior: return "centre prior"
        case .lrp: return m.family == .cnn ? "\(m.preset ?? "") K=\(m.cutoff ?? 0)" : (m.resolution ?? "")
        }
    }

    /// Sweep of the default preset: a dark-blue → orange ramp; other methods from a fixed palette.
    static func colours(_ methods: [FaithfulnessMethod]) -> [RGBA] {
        let palette = [RGBA(0.85, 0.1, 0.1), RGBA(0.2, 0.6, 0.2), RGBA(0.55, 0.2, 0.7), RGBA(0.1, 0.6, 0.8), RGBA(0.9, 0.5, 0.0)]
        let sweep = methods.filter { $0.kind == .lrp && $0.family == .cnn && $0.preset == CNNFaithfulnessDefaults.preset }
        var next = 0
        return methods.map { m in
            switch m.kind {
            case .random: return RGBA(0.3, 0.3, 0.3)
            case .centrePrior: return RGBA(0.65, 0.45, 0.25)
            case .lrp:
                if let i = sweep.firstIndex(of: m), sweep.count > 1 {
                    let t = Double(i) / Double(sweep.count - 1)
                    return RGBA(0.05 + 0.9 * t, 0.15 + 0.45 * t, 0.55 - 0.5 * t)
                }
                defer { next += 1 }
                return palette[next % palette.count]
            }
        }
    }
}

enum CNNFaithfulnessDefaults {
    static let preset = "epsilon-plus-flat"
}
