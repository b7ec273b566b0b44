import LRPCore
import XCTest
@testable import CNNRelevance

/// Impossible options and bad inputs give one-line `LRPError`s, never a crash.
final class EngineErrorTests: XCTestCase {
    func expectError(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an error mentioning '\(fragment)'", file: file, line: line)
        } catch let e as LRPError {
            XCTAssertTrue(e.message.contains(fragment), "'\(e.message)' should mention '\(fragment)'", file: file, line: line)
            XCTAssertFalse(e.message.contains("\n"), "one line", file: file, line: line)
        } catch {
            XCTFail("not an LRPError: \(error)", file: file, line: line)
        }
    }

    func testImpossibleRuleOptions() {
        expectError("alpha - beta must equal 1") { _ = try RulePlan(preset: .alpha2beta1, alpha: 3, beta: 1) }
        expectError("beta must be >= 0") { _ = try RulePlan(preset: .alpha2beta1, alpha: 0, beta: -1) }
        expectError("epsilon") { _ = try RulePlan(preset: .epsilon, epsilon: -0.1) }
        expectError("epsilon") { _ = try RulePlan(preset: .epsilon, epsilon: .nan) }
        expectError("z-box") { _ = try RulePlan(preset: .epsilon, firstLayer: .zbox) }
        expectError("z-box") { _ = try RulePlan(preset: .epsilon, firstLayer: .zbox, zBoxLow: [0, 0], zBoxHigh: [1]) }
        expectError("lower <= upper") { _ = try RulePlan(preset: .epsilon, firstLayer: .zbox, zBoxLow: [2], zBoxHigh: [1]) }
        expectError("3 input channels") {
            _ = try Explainer(graph: TestGraphs.mobile(),
                              plan: try RulePlan(preset: .epsilon, firstLayer: .zbox, zBoxLow: [0, 0], zBoxHigh: [1, 1]))
        }
    }

    func testBadInputsAndTargets() throws {
        let g = TestGraphs.mobile()
        let e = try Explainer(graph: g, plan: try RulePlan(preset: .epsilonAlpha2Beta1Flat))
        let per = g.inputShape.reduce(1, *)
        expectError("does not match the model input") { _ = try e.forward(NDArray(zeros: [1, 3, 11, 12])) }
        expectError("does not match the model input") { _ = try e.forward(NDArray(zeros: g.inputShape)) }
        var bad = [Float](repeating: 0.5, count: per)
        bad[7] = .nan
        expectError("non-finite") { _ = try e.forward(NDArray(shape: [1] + g.inputShape, data: bad)) }
        bad[7] = .infinity
        expectError("non-finite") { _ = try e.forward(NDArray(shape: [1] + g.inputShape, data: bad)) }
        let pass = try e.forward(NDArray(shape: [2] + g.inputShape, data: [Float](repeating: 0.1, count: 2 * per)))
        expectError("target 5 is out of range") { _ = try e.explain(pass, targets: [0, 5], cutoff: 0) }
        expectError("target -1 is out of range") { _ = try e.explain(pass, targets: [-1, 0], cutoff: 0) }
        expectError("1 target(s) given for a batch of 2") { _ = try e.explain(pass, targets: [0], cutoff: 0) }
        expectError("cut-off \(e.mappingLayerCount + 1) is out of range") {
            _ = try e.explain(pass, targets: [0, 0], cutoff: e.mappingLayerCount + 1)
        }
        expectError("cut-off -1 is out of range") { _ = try e.explain(pass, targets: [0, 0], cutoffs: [0, -1]) }
        let other = try Explainer(graph: g, plan: try RulePlan(preset: .epsilon))
        expectError("different explainer") { _ = try other.explain(pass, targets: [0, 0], cutoff: 0) }
    }

    func testMalformedGraphs() throws {
        let plan = try RulePlan(preset: .epsilon)
        var g = TestGraphs.plain()
        g.valueShapes.append(g.valueShapes.last!)
        g.valueNames.append("after-softmax")
        g.nodes.append(Node(name: "after", onnxOp: "Relu", op: .relu, inputs: [g.output], output: ValueID(g.valueShapes.count - 1)))
        g.output = ValueID(g.valueShapes.count - 1)
        expectError("softmax is only supported as the last layer") { _ = try Explainer(graph: g, plan: plan) }

        var h = TestGraphs.mobile()
        if case .conv(var c) = h.nodes[0].op {
            c.weight.removeLast()
            h.nodes[0].op = .conv(c)
        }
        expectError("weight or bias size") { _ = try Explainer(graph: h, plan: plan) }

        var s = TestGraphs.mobile()
        s.valueShapes[1] = [8, 11, 12]
        expectError("does not match") { _ = try Explainer(graph: s, plan: plan) }
    }
}
