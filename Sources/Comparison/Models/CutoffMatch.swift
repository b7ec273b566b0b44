import CNNRelevance
import Foundation
import LRPCore

/// The default CNN cut-off of a comparison (docs/DESIGN.md §10.1): the K whose receptive field,
/// measured in photo pixels, is closest to the support of a Fisher-vector descriptor, so that the
/// two "low-resolution" maps spread relevance over regions of about the same size.
public struct CutoffMatch: Sendable, Equatable {
    /// The chosen cut-off (1...M; 0 only for a model without spatial mapping layers).
    public var k: Int
    /// Receptive field of mapping layer K (as `lrp-cnn layers` prints it), in network input pixels
    /// (mean of height and width).
    public var receptiveFieldInput: Double
    /// The same in photo pixels.
    public var receptiveFieldPhoto: Double
    /// Support of an FV descriptor (4 × the mean bin size) in FV working pixels and in photo pixels.
    public var descriptorSupportWorking: Double
    public var descriptorSupportPhoto: Double

    public var json: [String: Any] {
        ["k": k, "receptiveFieldInputPixels": receptiveFieldInput, "receptiveFieldPhotoPixels": receptiveFieldPhoto,
         "descriptorSupportWorkingPixels": descriptorSupportWorking, "descriptorSupportPhotoPixels": descriptorSupportPhoto]
    }

    /// Receptive-field size (mean of height and width, input pixels) of each mapping layer K =
    /// 1...M, nil where the layer's output is global (it sees the whole input).
    public static func receptiveFields(of graph: Graph) -> [Int: Double] {
        var out: [Int: Double] = [:]
        for row in graph.layerTable() {
            guard let k = row.mappingIndex, !row.receptiveField.isGlobal else { continue }
            out[k] = Double(row.receptiveField.sizeH + row.receptiveField.sizeW) / 2
        }
        return out
    }

    /// The K whose receptive field in photo pixels (`rf × cnnScale`) is closest to `supportPhoto`;
    /// ties go to the smaller K (fewer flat layers). Global layers never match.
    /// - Parameters:
    ///   - cnnScale: photo pixels per network input pixel (`GridPlacement.meanScale`).
    ///   - fvScale: photo pixels per FV working pixel.
    ///   - binSizes: the FV model's SIFT bin sizes (support = 4 × their mean).
    public static func closest(graph: Graph, cnnScale: Double, fvScale: Double, binSizes: [Int]) -> CutoffMatch {
        let meanBin = binSizes.isEmpty ? 0 : Double(binSizes.reduce(0, +)) / Double(binSizes.count)
        let supportWorking = 4 * meanBin
        let supportPhoto = supportWorking * fvScale
        let fields = receptiveFields(of: graph)
        var best = CutoffMatch(k: 0, receptiveFieldInput: 1, receptiveFieldPhoto: cnnScale,
                               descriptorSupportWorking: supportWorking, descriptorSupportPhoto: supportPhoto)
        var bestDistance = Double.infinity
        for k in fields.keys.sorted() {
            let rf = fields[k]!
            let d = abs(rf * cnnScale - supportPhoto)
            if d < bestDistance {
                bestDistance = d
                best.k = k
                best.receptiveFieldInput = rf
                best.receptiveFieldPhoto = rf * cnnScale
            }
        }
        return best
    }
}
