@testable import Comparison
import Foundation

/// Synthetic report content for the report tests (no models, no dataset): every map is a
/// solid colour that differs per image and depth, so a screenshot shows which one is shown.
enum ReportFixtures {
    static let cutoffs = [0, 4, 8]

    /// A document for `names`, with its pictures written into `folder` when one is given.
    static func document(names: [String], folder: ReportFolder? = nil, className: String = "tench") throws -> ReportDocument {
        var images: [ReportImage] = []
        for (i, name) in names.enumerated() {
            let dir = String(format: "images/%03d", i)
            func picture(_ file: String, hue: Double, width: Int = 240, height: Int = 180) throws -> String {
                let path = "\(dir)/\(file)"
                if let folder {
                    let canvas = try Canvas(width: width, height: height)
                    canvas.fill(x: 0, y: 0, width: Double(width), height: Double(height),
                                color: RGBA(hue, 1 - hue, Double(i % 2)))
                    canvas.text(file, x: 10, y: 30, size: 18)
                    try folder.write(try canvas.pngData(), to: path)
                }
                return path
            }
            let cnnMaps = try cutoffs.enumerated().map { j, k in
                ReportMap(key: "\(k)", label: k == 0 ? "K = 0 (no cut-off)" : "K = \(k)",
                          file: try picture(String(format: "cnn-k%02d.png", k), hue: Double(j) / Double(cutoffs.count)))
            }
            let fvMaps = [
                ReportMap(key: "bin", label: "SIFT bin", file: try picture("fv-bin.png", hue: 0.1)),
                ReportMap(key: "descriptor", label: "descriptor", file: try picture("fv-descriptor.png", hue: 0.9)),
            ]
            images.append(ReportImage(
                name: name, className: className,
                cnn: ReportModelResult(model: "tiny.onnx", score: 3.25, predicted: className, detail: "epsilon-plus-flat"),
                fv: ReportModelResult(model: "tiny.safetensors", score: 0.5, predicted: className, detail: "ε = 100"),
                panel: try picture("panel.png", hue: 0.5, width: 480, height: 120),
                cnnMaps: cnnMaps, fvMaps: fvMaps))
        }
        let table = ReportTable(caption: "AOPC", header: ["method", "ABPC"], rows: [["CNN K = 0", "1.00"], ["random", "0.10"]],
                                emphasized: [0])
        var plot = "faithfulness/plot.png"
        if let folder {
            let canvas = try Canvas(width: 300, height: 150)
            canvas.polyline([(0, 0), (300, 150)], color: RGBA(1, 0, 0))
            plot = try folder.write(try canvas.pngData(), to: plot)
        }
        return ReportDocument(
            title: "Synthetic report", dataset: "synthetic", generated: "2026-12-05T14:00:00Z", images: images,
            faithfulness: ReportFaithfulness(table: table, plot: plot, files: [ReportLink(label: "curves (CSV)", file: "faithfulness/curves.csv")],
                                             findings: ["CNN: K = 0 is the most faithful depth"]),
            averagePrecision: AveragePrecisionTable.table(
                fv: .init(classes: ["n01440764"], classNames: ["tench"], averagePrecision: ["n01440764": 0.9], meanAveragePrecision: 0.9, top1: 0.8),
                cnn: nil),
            notes: ["synthetic content"])
    }
}
