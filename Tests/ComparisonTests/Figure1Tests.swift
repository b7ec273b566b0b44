import CNNRelevance
import Comparison
import FisherVectors
import Foundation
import LRPCore
import XCTest

/// The Figure-1 picture of a real photo with the bundled models (docs/DESIGN.md §10.1).
final class Figure1Tests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func model(_ name: String) -> URL { root.appendingPathComponent("Models").appendingPathComponent(name) }
    static let photo = root.appendingPathComponent("Samples/chelsea.jpg")

    private func pair(_ options: ModelPairOptions = ModelPairOptions()) throws -> ModelPair {
        var o = options
        o.cnnModel = Self.model(ModelPairOptions.bundledCNN)
        o.fvModel = Self.model(ModelPairOptions.bundledFV)
        return try ModelPair(o)
    }

    override func setUp() {
        // the bundled label list is found like the models (ModelLocator), wherever the tests run
        setenv("LRP_MODELS", Self.root.appendingPathComponent("Models").path, 1)
    }

    func testCNNIsRestrictedToTheFVClassesInFVOrder() throws {
        let p = try pair()
        // Imagenette: tench, English springer, ..., parachute = ImageNet 0, 217, ..., 701
        XCTAssertEqual(p.cnnClasses, [0, 217, 482, 491, 497, 566, 569, 571, 574, 701])
        XCTAssertEqual(p.graph.outputClasses, p.cnnClasses)
        XCTAssertEqual(p.classIndex("French horn"), 5)
    }

    func testAnFVClassTheCNNDoesNotKnowIsOneClearError() throws {
        let labels = FileManager.default.temporaryDirectory.appendingPathComponent("figure-labels-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: labels) }
        let names = (0..<1000).map { $0 == 0 ? "tench" : "thing \($0)" }
        try Data(names.joined(separator: "\n").utf8).write(to: labels)
        XCTAssertThrowsError(try pair(ModelPairOptions(labels: labels))) { error in
            let m = error.userMessage
            XCTAssertTrue(m.contains("'English springer'") && m.contains("'parachute'") && !m.contains("'tench'"), m)
        }
        // a class list of the wrong length is refused too
        XCTAssertThrowsError(try pair(ModelPairOptions(classes: [0, 1, 2])))
    }

    func testFigureHasItsSizeAndNoBlankPanel() throws {
        let p = try pair(ModelPairOptions(fit: .center))
        let run = try FigureRun(pair: p, settings: FigureSettings(panelSide: 160, outputDirectory: FileManager.default.temporaryDirectory))
        let (figure, explanation, k, match) = try run.figure(Self.photo)
        // both rows explain the same class; K is the receptive-field match
        XCTAssertEqual(explanation.cnn.target.outputIndex, explanation.fv.target)
        XCTAssertEqual(k, match.k)
        XCTAssertGreaterThan(k, 0)
        let image = try Image.decode(figure.png)
        XCTAssertEqual(image.width, figure.layout.width)
        XCTAssertEqual(image.height, figure.layout.height)
        // chelsea.jpg is 451×300: panels are 160×106
        XCTAssertEqual(figure.layout.panels[0][0].width, 160)
        XCTAssertEqual(figure.layout.panels[0][0].height, 106)
        XCTAssertEqual(figure.layout.panels.flatMap { $0 }.count, 8)
        for (row, panels) in figure.layout.panels.enumerated() {
            for (col, r) in panels.enumerated() {
                var values: [Double] = []
                for y in Int(r.y)..<Int(r.y + r.height) {
                    for x in Int(r.x)..<Int(r.x + r.width) {
                        let o = (y * image.width + x) * image.channels
                        values.append(Double(image.pixels[o] + image.pixels[o + 1] + image.pixels[o + 2]))
                    }
                }
                let mean = values.reduce(0, +) / Double(values.count)
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
                XCTAssertGreaterThan(variance, 1, "panel row \(row) column \(col) is blank")
            }
        }
        // the JSON names what was drawn
        let summary = figure.summary
        XCTAssertEqual((summary["cnn"] as? [String: Any])?["cutoffLow"] as? Int, k)
        XCTAssertNotNil((summary["fv"] as? [String: Any])?["score"])
        XCTAssertEqual(((summary["figure"] as? [String: Any])?["panels"] as? [Any])?.count, 8)
    }

    func testSingleMapPNGOnPhotoGeometry() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("figure-map-\(getpid()).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let g = GridPlacement(width: 4, height: 2, scaleX: 25, scaleY: 25)
        try PhotoMap.writePNG(NDArray(shape: [2, 4], data: [1, 0, 0, -1, 0, 0, 0, 0]), placement: g, photoWidth: 100,
                              photoHeight: 50, maxSide: 100, to: out)
        let image = try Image.load(out)
        XCTAssertEqual([image.width, image.height], [100, 50])
        let red = Colormap.lrp.color(1)
        XCTAssertEqual(image.pixels[0], Float(red.0))
        XCTAssertEqual(image.pixels[(10 * 100 + 10) * 3 + 1], Float(red.1))
    }
}
