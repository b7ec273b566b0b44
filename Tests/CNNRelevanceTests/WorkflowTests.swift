import CNNRelevance
import Foundation
import LRPCore
import XCTest

/// Labels, targets and rankings used by `lrp-cnn explain/predict`.
final class WorkflowTests: XCTestCase {
    func tenClassGraph() throws -> Graph {
        var b = ONNXModelBuilder(opset: 13, inputShape: [1, 4, 1, 1])
        var rng = ImportRandom(3)
        b.floats("w", [10, 4], rng.floats(40))
        let f = b.node("Flatten", ["input"])
        b.node("Gemm", [f, "w"], output: "output", attributes: [Attr.int("transB", 1)])
        return try b.load()
    }

    func testLabelsBySynonymAndAmbiguity() throws {
        let labels = ClassLabels(names: ["tench, Tinca tinca", "tabby, tabby cat", "tiger cat", "cat, tabby"])
        XCTAssertEqual(labels.name(0), "tench")
        XCTAssertEqual(labels.name(7), "class 7")
        XCTAssertEqual(try labels.index(of: "Tinca tinca"), 0)
        XCTAssertEqual(try labels.index(of: "TIGER CAT"), 2)
        XCTAssertEqual(try labels.index(of: "tabby, tabby cat"), 1)
        assertLRPError(["ambiguous", "1, 3"]) { _ = try labels.index(of: "tabby") }
        assertLRPError(["unknown class label 'dog'"]) { _ = try labels.index(of: "dog") }
    }

    func testLabelFileLoading() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try "a\nb\r\nc\n\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ClassLabels.load(url).names, ["a", "b", "c"])
        assertLRPError(["cannot read"]) { _ = try ClassLabels.load(URL(fileURLWithPath: "/nonexistent/labels.txt")) }
    }

    /// The bundled ImageNet list must pass the strict parser (one name per class, no duplicates
    /// even case-insensitively): the tools refuse a list that does not, so a clash here would
    /// leave every bundled-model output without class names.
    func testBundledImageNetLabelsParse() throws {
        let url = fixtureURL("../../Models/imagenet_classes.txt")
        let labels = try ClassLabels.load(url)
        XCTAssertEqual(labels.names.count, 1000)
        XCTAssertEqual(try labels.index(of: "cardigan"), 474)
        XCTAssertEqual(try labels.index(of: "Cardigan Welsh corgi"), 264)
        XCTAssertEqual(labels.name(497), "church")
    }

    func testTargetChoiceParsingAndResolution() throws {
        XCTAssertEqual(TargetChoice(parsing: "auto"), .auto)
        XCTAssertEqual(TargetChoice(parsing: " 17 "), .index(17))
        XCTAssertEqual(TargetChoice(parsing: "tiger cat"), .label("tiger cat"))
        let g = try tenClassGraph()
        let labels = ClassLabels(names: (0..<10).map { "c\($0)" })
        XCTAssertNil(try TargetChoice.auto.resolve(graph: g, labels: labels))
        XCTAssertEqual(try TargetChoice.index(9).resolve(graph: g, labels: nil), 9)
        XCTAssertEqual(try TargetChoice.label("c4").resolve(graph: g, labels: labels), 4)
        assertLRPError(["out of range", "10 classes"]) { _ = try TargetChoice.index(10).resolve(graph: g, labels: nil) }
        assertLRPError(["no label file"]) { _ = try TargetChoice.label("c4").resolve(graph: g, labels: nil) }
        // Under --classes the target is an original index and maps to its output position.
        let r = try g.restrictingOutputs(to: [7, 2, 5])
        XCTAssertEqual(try TargetChoice.index(5).resolve(graph: r, labels: nil), 2)
        XCTAssertEqual(try TargetChoice.label("c2").resolve(graph: r, labels: labels), 1)
        assertLRPError(["not among the selected classes 7,2,5"]) { _ = try TargetChoice.index(3).resolve(graph: r, labels: nil) }
    }

    func testRankingOrderProbabilitiesAndRestrictedIndices() throws {
        let g = try tenClassGraph().restrictingOutputs(to: [7, 2, 5, 0])
        let logits: [Float] = [1, 3, 3, -2]
        let top = Ranking.top(logits[...], k: 3, graph: g, labels: ClassLabels(names: (0..<10).map { "c\($0)" }))
        XCTAssertEqual(top.map(\.outputIndex), [1, 2, 0])   // tie: lower index first
        XCTAssertEqual(top.map(\.classIndex), [2, 5, 7])
        XCTAssertEqual(top.map(\.label), ["c2", "c5", "c7"])
        let z = logits.map { exp(Double($0)) }.reduce(0, +)
        XCTAssertEqual(Double(top[0].probability), exp(3) / z, accuracy: 1e-6)
        XCTAssertEqual(Ranking.top(logits[...], k: 10, graph: g, labels: nil).count, 4)
    }

    func testParseClasses() throws {
        XCTAssertEqual(try ModelLoading.parseClasses("0,217, 482"), [0, 217, 482])
        assertLRPError(["the class list"]) { _ = try ModelLoading.parseClasses("1,,2") }
        assertLRPError(["the class list"]) { _ = try ModelLoading.parseClasses("-3") }
        assertLRPError(["the class list"]) { _ = try ModelLoading.parseClasses("") }
    }
}

extension WorkflowTests {
    /// A class named twice (or an empty line among the names) is refused with the line numbers.
    func testLabelFileWithDuplicateNamesIsRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try "cat\ndog\nCat\n".write(to: url, atomically: true, encoding: .utf8)
        assertLRPError(["lines 1 and 3", "'Cat'"]) { _ = try ClassLabels.load(url) }
        try "cat\n\ndog\n".write(to: url, atomically: true, encoding: .utf8)
        assertLRPError(["line 2 is empty"]) { _ = try ClassLabels.load(url) }
    }
}
