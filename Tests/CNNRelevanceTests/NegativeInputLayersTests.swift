import CNNRelevance
import LRPCore
import XCTest

/// `Explainer.layersWithNegativeInput`: the alpha-beta and z-plus layers whose products were
/// formed from x⁺ and x⁻ apart (read by `lrp-bench`'s GEMM floor).
final class NegativeInputLayersTests: XCTestCase {
    func testLayersAfterARectifierAreNotListed() throws {
        let graph = try ONNXImporter.load(url: fixtureURL("cnn-import/branchy.o17.folded.onnx"))
        let input = NDArray(shape: [2] + graph.inputShape,
                            data: (0..<(2 * graph.inputShape.reduce(1, *))).map { Float(($0 * 7919) % 13) / 6 - 1 })
        // alpha-beta everywhere: the image (c1) and the unrectified c2 output (fc) have negative values
        let ab = try Explainer(graph: graph, plan: try RulePlan(preset: .alpha2beta1))
        XCTAssertEqual(ab.layersWithNegativeInput(try ab.forward(input)), ["/c1/Conv", "/fc/Gemm"])
        // a non-negative input has none
        let positive = NDArray(shape: input.shape, data: input.data.map { abs($0) })
        XCTAssertEqual(ab.layersWithNegativeInput(try ab.forward(positive)), ["/fc/Gemm"])
        // flat first layer and epsilon on fc: no alpha-beta layer sees a negative input
        let flat = try Explainer(graph: graph, plan: try RulePlan(preset: .epsilonAlpha2Beta1Flat))
        XCTAssertEqual(flat.layersWithNegativeInput(try flat.forward(input)), [])
        // a pass that did not keep products lists nothing
        XCTAssertEqual(ab.layersWithNegativeInput(try ab.forward(input, keepProducts: false)), [])
    }
}
