import CNNRelevance
import FisherVectors
import Foundation
import LRPCore

/// One rendered Figure-1 picture and what it shows (docs/DESIGN.md §10.1).
public struct Figure1: @unchecked Sendable {
    public var png: Data
    public var layout: FigureLayout
    /// The JSON summary (docs/DESIGN.md §10.1 lists the keys).
    public var summary: [String: Any]
}

/// Draws the Figure-1 panels of one explained photo: row CNN, row FV; columns input, high-res
/// map (CNN K = 0, FV bin resolution), low-res map (CNN cut-off K, FV descriptor resolution),
/// input with the low-res map as alpha; captions and a colour legend.
public enum Figure1Renderer {
    /// - Parameters:
    ///   - explanation: both models' maps; the CNN must have been explained at 0 and `lowCutoff`.
    ///   - photo: the photo at display size (`PhotoMap.displayPhoto`); panels have its size.
    ///   - match: the receptive-field comparison behind the default K (shown and recorded).
    ///   - cutoffFromOption: whether K was given by the user rather than chosen by `match`.
    public static func render(_ explanation: PairExplanation, pair: ModelPair, lowCutoff: Int, match: CutoffMatch,
                              cutoffFromOption: Bool, photo: Image, colormap: Colormap = .lrp) throws -> Figure1 {
        let e = explanation
        guard let cnnHigh = e.cnn.maps[0], let cnnLow = e.cnn.maps[lowCutoff],
              let fvBin = e.fv.explanation.maps[.bin], let fvDescriptor = e.fv.explanation.maps[.descriptor] else {
            throw LRPError("internal: the explanation lacks a map the figure needs (K = 0, K = \(lowCutoff), bin, descriptor)")
        }
        let (dw, dh) = (photo.width, photo.height)
        // The four maps on the photo's display grid, in parallel.
        let sources: [(NDArray, GridPlacement)] = [(cnnHigh, e.cnn.placement), (cnnLow, e.cnn.placement),
                                                    (fvBin, e.fv.placement), (fvDescriptor, e.fv.placement)]
        let slots = ParallelSlots<NDArray>(count: sources.count)
        Parallel.forEach(sources.count) { i in
            slots.set(i, PhotoMap.resample(sources[i].0, placement: sources[i].1, photoWidth: e.photoWidth,
                                           photoHeight: e.photoHeight, width: dw, height: dh))
        }
        let display = slots.all().map { $0! }
        let photoBytes = photo.rgb().bytes()

        let text = captions(e, pair: pair, lowCutoff: lowCutoff, match: match, cutoffFromOption: cutoffFromOption)
        let measure = try Canvas(width: 1, height: 1)
        let headerWidth = text.headers.map { measure.textWidth($0.bold, size: 13, bold: true) + measure.textWidth($0.rest, size: 13) }
        let legendWidth = legendLines(showsCrop: pair.preprocessing.fit == .center).map { measure.textWidth($0, size: 11) }.max() ?? 0
        let layout = FigureLayout(panelWidth: dw, panelHeight: dh,
                                  textWidth: max(headerWidth.max() ?? 0, measure.textWidth(text.title, size: 16, bold: true),
                                                 legendTextX + legendWidth))
        let canvas = try Canvas(width: layout.width, height: layout.height)
        let m = FigureLayout.margin
        canvas.text(text.title, x: m, y: m + 18, size: 16, bold: true)

        for row in 0..<2 {
            let header = text.headers[row]
            canvas.text(header.bold, x: m, y: layout.rowHeaderY[row], size: 13, bold: true)
            canvas.text(header.rest, x: m + canvas.textWidth(header.bold, size: 13, bold: true), y: layout.rowHeaderY[row], size: 13)
            let (high, low) = (display[2 * row], display[2 * row + 1])
            let rects = layout.panels[row]
            for (c, r) in rects.enumerated() {
                drawCaption(canvas, text.captions[row][c], width: r.width, x: r.x, bottom: r.y - 5)
            }
            try canvas.image(photoBytes, width: dw, height: dh, channels: 3, x: rects[0].x, y: rects[0].y,
                             width: rects[0].width, height: rects[0].height)
            try canvas.image(PhotoMap.render(high, colormap: colormap), width: dw, height: dh, channels: 4,
                             x: rects[1].x, y: rects[1].y, width: rects[1].width, height: rects[1].height, smooth: false)
            try canvas.image(PhotoMap.render(low, colormap: colormap), width: dw, height: dh, channels: 4,
                             x: rects[2].x, y: rects[2].y, width: rects[2].width, height: rects[2].height, smooth: false)
            canvas.fill(x: rects[3].x, y: rects[3].y, width: rects[3].width, height: rects[3].height, color: .black)
            try canvas.image(PhotoMap.alphaOverlay(photo: photoBytes, map: low), width: dw, height: dh, channels: 4,
                             x: rects[3].x, y: rects[3].y, width: rects[3].width, height: rects[3].height, smooth: false)
            if row == 0 { outlineCrop(canvas, e.cnn.placement, photoWidth: e.photoWidth, photoHeight: e.photoHeight, in: rects[0]) }
        }
        drawLegend(canvas, y: layout.legendY, colormap: colormap, showsCrop: pair.preprocessing.fit == .center)

        let summary = self.summary(e, pair: pair, lowCutoff: lowCutoff, match: match, cutoffFromOption: cutoffFromOption,
                                   layout: layout, captions: text.captions)
        return Figure1(png: try canvas.pngData(), layout: layout, summary: summary)
    }

    // MARK: text

    struct Texts {
        var title: String
        var headers: [(bold: String, rest: String)]
        var captions: [[String]]
    }

    static func captions(_ e: PairExplanation, pair: ModelPair, lowCutoff k: Int, match: CutoffMatch, cutoffFromOption: Bool) -> Texts {
        let fvPredicted = pair.classNames[e.fv.predicted]
        let cnnPredicted = pair.classNames[e.cnn.ranking[0].outputIndex]
        let title = "\(e.source.lastPathComponent): both models explain \u{201C}\(e.className)\u{201D}"
            + " (top of the \(pair.classNames.count) classes: FV \(fvPredicted), CNN \(cnnPredicted))"
        let t = e.cnn.target
        let crop = pair.preprocessing.fit == .center ? "centre crop" : "resized, no crop"
        let cnnHeader = (bold: "CNN  \(pair.cnnURL.lastPathComponent)",
                         rest: String(format: "  ·  class %@  ·  logit %.3g, p = %.2f over %d classes  ·  rules %@  ·  %d×%d input, %@",
                                      e.className, t.logit, t.probability, pair.classNames.count, pair.planDescription,
                                      e.cnn.placement.width, e.cnn.placement.height, crop))
        let fvHeader = (bold: "Fisher vectors  \(pair.fvURL.lastPathComponent)",
                        rest: String(format: "  ·  class %@  ·  SVM score %.3g  ·  ε = %g, ε' = %g  ·  SIFT bins %@ px on %d×%d",
                                     e.className, e.fv.score, Double(pair.options.fvEpsilon), Double(pair.options.fvPCAEpsilon),
                                     pair.fvModel.features.binSizes.map(String.init).joined(separator: ","),
                                     e.fv.placement.width, e.fv.placement.height))
        let kNote = cutoffFromOption ? "--cutoff" : "RF ≈ FV support"
        let rf = CutoffMatch.receptiveFields(of: pair.graph)[k].map { String(format: ", RF %.0f px", $0 * e.cnn.placement.meanScale) } ?? ""
        let cnnCaptions = ["input" + (pair.preprocessing.fit == .center ? " (dashed: the crop the CNN sees)" : ""),
                           "high-res: no cut-off (K = 0)",
                           "low-res: cut-off K = \(k)\(rf) (\(kNote))",
                           "input, alpha = K = \(k) map"]
        let fvCaptions = ["input",
                          "high-res: SIFT-bin resolution",
                          String(format: "low-res: descriptor resolution (support %.0f px)", match.descriptorSupportPhoto),
                          "input, alpha = descriptor map"]
        return Texts(title: title, headers: [cnnHeader, fvHeader], captions: [cnnCaptions, fvCaptions])
    }

    // MARK: drawing helpers

    /// A caption in at most two lines above a panel (narrow portrait panels wrap it), shrunk
    /// only if two lines do not suffice.
    static func drawCaption(_ canvas: Canvas, _ caption: String, width: Double, x: Double, bottom: Double) {
        var size = 11.5
        var lines = wrap(canvas, caption, width: width, size: size)
        while lines.count > 2 && size > 7 {
            size -= 0.5
            lines = wrap(canvas, caption, width: width, size: size)
        }
        for (i, line) in lines.suffix(2).enumerated() {
            let y = bottom - Double(min(2, lines.count) - 1 - i) * (size + 2)
            canvas.text(line, x: x, y: y, size: size, color: RGBA(0.2, 0.2, 0.2))
        }
    }

    /// Greedy word wrap to `width`.
    static func wrap(_ canvas: Canvas, _ text: String, width: Double, size: Double) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if current.isEmpty || canvas.textWidth(candidate, size: size) <= width { current = candidate } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Dashed outline of the CNN's crop on the input panel (only when it is not the whole photo).
    static func outlineCrop(_ canvas: Canvas, _ p: GridPlacement, photoWidth: Int, photoHeight: Int, in r: FigureLayout.Rect) {
        let crop = p.photoRect
        guard crop.x > 0.5 || crop.y > 0.5 || crop.width < Double(photoWidth) - 0.5 || crop.height < Double(photoHeight) - 0.5 else { return }
        let sx = r.width / Double(photoWidth), sy = r.height / Double(photoHeight)
        let (x0, y0) = (r.x + crop.x * sx, r.y + crop.y * sy)
        let (x1, y1) = (x0 + crop.width * sx, y0 + crop.height * sy)
        let box = [(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)]
        canvas.polyline(box, color: .white, lineWidth: 2)
        canvas.polyline(box, color: .black, lineWidth: 2, dash: [6, 6])
    }

    static func drawLegend(_ canvas: Canvas, y: Double, colormap: Colormap, showsCrop: Bool) {
        let x = FigureLayout.margin, barWidth = 256.0, barHeight = 14.0
        for i in 0..<256 {
            let (r, g, b) = colormap.color(Float(i) / 127.5 - 1)
            canvas.fill(x: x + Double(i), y: y, width: 1, height: barHeight, color: RGBA(bytes: r, g, b))
        }
        canvas.stroke(x: x, y: y, width: barWidth, height: barHeight, color: .grey)
        canvas.text("−max |R|", x: x, y: y + barHeight + 13, size: 11)
        canvas.text("0", x: x + barWidth / 2, y: y + barHeight + 13, size: 11, align: .center)
        canvas.text("+max |R|", x: x + barWidth, y: y + barHeight + 13, size: 11, align: .right)
        for (i, line) in legendLines(showsCrop: showsCrop).enumerated() {
            canvas.text(line, x: FigureLayout.margin + legendTextX, y: y + 11 + 15 * Double(i), size: 11)
        }
    }

    /// Where the legend's text starts, from the left margin (after the colour bar).
    static let legendTextX = 276.0

    static func legendLines(showsCrop: Bool) -> [String] {
        ["Relevance: blue negative, green neutral (0), red positive; each map is scaled by its own largest |R|.",
         "Alpha panels: positive relevance of the low-res map as opacity over black (1 at its 99th percentile).",
         showsCrop ? "Grey: outside the CNN's crop (no relevance)." : ""]
    }

    // MARK: JSON

    static func summary(_ e: PairExplanation, pair: ModelPair, lowCutoff: Int, match: CutoffMatch, cutoffFromOption: Bool,
                        layout: FigureLayout, captions: [[String]]) -> [String: Any] {
        let fv = e.fv
        let c = e.classIndex
        let mapping = pair.graph.nodes.filter { $0.op.isMapping }
        let fields = CutoffMatch.receptiveFields(of: pair.graph)
        let cnnPredicted = e.cnn.ranking[0]
        let columns = ["input", "high-res", "low-res", "alpha"]
        var panels: [[String: Any]] = []
        for (row, name) in ["cnn", "fv"].enumerated() {
            for col in 0..<4 {
                var p = layout.panels[row][col].json
                p["row"] = name; p["column"] = columns[col]; p["caption"] = captions[row][col]
                panels.append(p)
            }
        }
        return [
            "source": e.source.path,
            "photo": ["width": e.photoWidth, "height": e.photoHeight],
            "class": ["index": c, "id": pair.fvModel.classes[c], "name": pair.classNames[c], "cnnIndex": pair.cnnClasses[c],
                      "cnnLabel": pair.labels?.name(pair.cnnClasses[c]) ?? "class \(pair.cnnClasses[c])"] as [String: Any],
            "cnn": [
                "model": pair.cnnURL.path,
                "classes": pair.cnnClasses,
                "preprocessing": pair.preprocessing.summary,
                "placement": placementJSON(e.cnn.placement),
                "rules": pair.plan.summary,
                "logit": e.cnn.target.logit,
                "probability": e.cnn.target.probability,
                "predicted": ["index": cnnPredicted.outputIndex, "name": pair.classNames[cnnPredicted.outputIndex],
                              "logit": cnnPredicted.logit, "probability": cnnPredicted.probability] as [String: Any],
                "cutoffHigh": 0,
                "cutoffLow": lowCutoff,
                "cutoffLowLayer": lowCutoff > 0 ? mapping[lowCutoff - 1].name : NSNull(),
                "cutoffChosenBy": cutoffFromOption ? "option" : "receptive field closest to the FV descriptor support",
                "receptiveFieldInputPixels": fields[lowCutoff].map { $0 as Any } ?? NSNull(),
                "receptiveFieldPhotoPixels": fields[lowCutoff].map { ($0 * e.cnn.placement.meanScale) as Any } ?? NSNull(),
                "relevanceSums": Dictionary(uniqueKeysWithValues: e.cnn.relevanceSums.map { ("\($0.key)", Double($0.value)) }),
            ] as [String: Any],
            "fv": [
                "model": pair.fvURL.path,
                "placement": placementJSON(fv.placement),
                "score": fv.score,
                "scores": Dictionary(uniqueKeysWithValues: zip(pair.fvModel.classes, fv.scores.map(Double.init))),
                "predicted": ["index": fv.predicted, "id": pair.fvModel.classes[fv.predicted], "name": pair.classNames[fv.predicted],
                              "score": fv.scores[fv.predicted]] as [String: Any],
                "descriptors": fv.explanation.descriptorCount,
                "epsilon": Double(pair.options.fvEpsilon),
                "pcaEpsilon": Double(pair.options.fvPCAEpsilon),
                "relevanceSums": ["bin": fv.explanation.maps[.bin].map(FisherExplanation.sum) ?? 0,
                                  "descriptor": fv.explanation.maps[.descriptor].map(FisherExplanation.sum) ?? 0],
            ] as [String: Any],
            "cutoffMatch": match.json,
            "figure": ["width": layout.width, "height": layout.height, "panels": panels] as [String: Any],
        ]
    }

    static func placementJSON(_ p: GridPlacement) -> [String: Any] {
        let r = p.photoRect
        return ["gridWidth": p.width, "gridHeight": p.height, "photoPixelsPerGridPixelX": p.scaleX,
                "photoPixelsPerGridPixelY": p.scaleY, "photoRect": [r.x, r.y, r.width, r.height]]
    }
}
