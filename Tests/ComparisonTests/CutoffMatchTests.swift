import CNNRelevance
import Comparison
import LRPCore
import XCTest

/// The default cut-off: receptive field closest to the FV descriptor support (docs/DESIGN.md §10.1).
final class CutoffMatchTests: XCTestCase {
    /// conv3 (RF 3) · conv3 s2 (RF 5, jump 2) · conv3 (RF 9) · conv3 (RF 13) · global pooling · linear.
    private func smallGraph() -> Graph {
        var shapes: [[Int]] = [[1, 16, 16]]
        var nodes: [Node] = []
        func add(_ op: LayerOp, _ onnx: String, _ shape: [Int]) {
            nodes.append(Node(name: "n\(nodes.count)", onnxOp: onnx, op: op, inputs: [ValueID(shapes.count - 1)],
                              output: ValueID(shapes.count)))
            shapes.append(shape)
        }
        func conv(_ stride: Int, _ inC: Int, _ hw: Int) -> LayerOp {
            .conv(Conv2D(weight: [Float](repeating: 0.1, count: 2 * inC * 9), bias: nil, outChannels: 2, inChannels: inC,
                         kernelH: 3, kernelW: 3, strideH: stride, strideW: stride, padTop: 1, padLeft: 1, padBottom: 1,
                         padRight: 1, dilationH: 1, dilationW: 1, groups: 1))
        }
        add(conv(1, 1, 16), "Conv", [2, 16, 16])
        add(conv(2, 2, 16), "Conv", [2, 8, 8])
        add(conv(1, 2, 8), "Conv", [2, 8, 8])
        add(conv(1, 2, 8), "Conv", [2, 8, 8])
        add(.globalAveragePool(keepSpatial: false), "GlobalAveragePool", [2])
        add(.linear(Linear(weight: [1, 0, 0, 1, 1, 1], bias: nil, inFeatures: 2, outFeatures: 3)), "Gemm", [3])
        return Graph(inputName: "x", inputShape: shapes[0], valueShapes: shapes, valueNames: shapes.indices.map { "v\($0)" },
                     nodes: nodes, output: ValueID(shapes.count - 1))
    }

    func testReceptiveFieldsOfTheSmallGraph() {
        let fields = CutoffMatch.receptiveFields(of: smallGraph())
        XCTAssertEqual(fields, [1: 3, 2: 5, 3: 9, 4: 13], "K = 5 is global and never a candidate")
    }

    func testClosestReceptiveFieldWins() {
        let g = smallGraph()
        // support 4·2 = 8 photo px: RF 9 (K = 3) is closest
        var m = CutoffMatch.closest(graph: g, cnnScale: 1, fvScale: 1, binSizes: [2])
        XCTAssertEqual(m.k, 3)
        XCTAssertEqual(m.descriptorSupportPhoto, 8)
        XCTAssertEqual(m.receptiveFieldPhoto, 9)
        // support 4·3 = 12: RF 13 (K = 4)
        XCTAssertEqual(CutoffMatch.closest(graph: g, cnnScale: 1, fvScale: 1, binSizes: [2, 4]).k, 4)
        // photo pixels count: the CNN input is 2× smaller than the photo → RFs 6, 10, 18, 26;
        // support 8 is 2 from both 6 and 10, and the tie goes to the smaller K
        m = CutoffMatch.closest(graph: g, cnnScale: 2, fvScale: 1, binSizes: [2])
        XCTAssertEqual(m.k, 1)
        // and the FV working scale counts too: support 8 working px = 24 photo px → RF 26 (K = 4)
        XCTAssertEqual(CutoffMatch.closest(graph: g, cnnScale: 2, fvScale: 3, binSizes: [2]).k, 4)
        // a huge support still picks the largest spatial K, never the global linear layer
        XCTAssertEqual(CutoffMatch.closest(graph: g, cnnScale: 1, fvScale: 1, binSizes: [100]).k, 4)
    }
}
