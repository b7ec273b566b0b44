import Foundation
import LRPCore

/// Where the samples of a run come from.
public enum InputSource: Sendable, Equatable {
    /// A JPEG or PNG picture, preprocessed with the run's `Preprocessing`.
    case image(URL)
    /// An exact model input tensor `[N, C, H, W]` or `[C, H, W]` (`.npy`).
    case npy(URL)

    public var url: URL {
        switch self {
        case .image(let u), .npy(let u): return u
        }
    }
}

/// One sample ready for the model: its input tensor and the picture to draw overlays on.
public struct PreparedInput: Sendable {
    public var source: URL
    /// Sample position inside an `.npy` batch file, nil for pictures and single-sample files.
    public var sampleIndex: Int?
    /// `[C, H, W]` values, C order.
    public var tensor: [Float]
    /// RGB picture of the input's height×width (the fitted image, or the tensor mapped back
    /// through the preprocessing preset for `.npy` inputs).
    public var picture: Image
}

public enum InputPreparation {
    /// Decodes and preprocesses a picture for `graph`.
    /// - Throws: `LRPError` naming the file (missing, corrupt, or the model does not take RGB).
    public static func image(_ url: URL, graph: Graph, preprocessing: Preprocessing) throws -> PreparedInput {
        guard graph.inputShape.first == 3 else {
            throw LRPError("the model takes \(graph.inputShape.first ?? 0)-channel inputs; pictures give 3 (give an exact input tensor instead)")
        }
        let fitted = try preprocessing.load(url)
        return PreparedInput(source: url, sampleIndex: nil, tensor: preprocessing.tensor(fromFitted: fitted), picture: fitted)
    }

    /// Reads an exact input tensor; its shape must match the model's input and every value must
    /// be finite.
    public static func npy(_ url: URL, graph: Graph, preprocessing: Preprocessing) throws -> [PreparedInput] {
        let array = try NPY.read(url)
        let want = graph.inputShape
        let samples: Int
        switch array.shape.count {
        case 4 where Array(array.shape.dropFirst()) == want: samples = array.shape[0]
        case 3 where array.shape == want: samples = 1
        default:
            throw LRPError("\(url.path): shape \(ShapeMath.describe(array.shape)) does not match the model input [N, \(want.map(String.init).joined(separator: ", "))]")
        }
        guard samples >= 1 else { throw LRPError("\(url.path): holds no samples") }
        if let bad = array.data.firstIndex(where: { !$0.isFinite }) {
            throw LRPError("\(url.path): value \(bad) is not finite (NaN or infinity)")
        }
        let per = want.reduce(1, *)
        let (h, w) = (want[1], want[2])
        return (0..<samples).map { n in
            let t = Array(array.data[n * per..<(n + 1) * per])
            let picture: Image
            if want[0] == 3 {
                picture = preprocessing.image(fromTensor: t, height: h, width: w)
            } else {
                picture = greyPicture(Array(t[0..<(h * w)]), height: h, width: w)
            }
            return PreparedInput(source: url, sampleIndex: array.shape.count == 4 && samples > 1 ? n : nil,
                                 tensor: t, picture: picture)
        }
    }

    /// The first channel stretched to 0...255, for inputs that are not RGB.
    private static func greyPicture(_ plane: [Float], height: Int, width: Int) -> Image {
        let lo = plane.min() ?? 0, hi = plane.max() ?? 0
        let scale: Float = hi > lo ? 255 / (hi - lo) : 0
        let grey = plane.map { ($0 - lo) * scale }
        return Image(width: width, height: height, channels: 1, pixels: grey).rgb()
    }

    /// Stacks samples into one `[N, C, H, W]` batch.
    public static func batch(_ inputs: [PreparedInput], graph: Graph) -> NDArray {
        var data: [Float] = []
        data.reserveCapacity(inputs.count * graph.inputShape.reduce(1, *))
        for i in inputs { data.append(contentsOf: i.tensor) }
        return NDArray(shape: [inputs.count] + graph.inputShape, data: data)
    }

    /// Prepares several sources on all cores; the first failure (in source order) is thrown.
    public static func prepare(_ sources: [InputSource], graph: Graph, preprocessing: Preprocessing) throws -> [PreparedInput] {
        try prepareEach(sources, graph: graph, preprocessing: preprocessing).flatMap { try $0.get() }
    }

    /// Prepares several sources on all cores; one result per source, in order.
    public static func prepareEach(_ sources: [InputSource], graph: Graph,
                                   preprocessing: Preprocessing) -> [Result<[PreparedInput], Error>] {
        let results = ParallelSlots<Result<[PreparedInput], Error>>(count: sources.count)
        Parallel.forEach(sources.count) { i in
            results.set(i, Result {
                switch sources[i] {
                case .image(let url): return [try image(url, graph: graph, preprocessing: preprocessing)]
                case .npy(let url): return try npy(url, graph: graph, preprocessing: preprocessing)
                }
            })
        }
        return results.all().map { $0 ?? .failure(LRPError("internal: a parallel task did not finish")) }
    }
}
