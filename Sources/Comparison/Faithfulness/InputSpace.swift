/// The input space a model family is perturbed in (docs/DESIGN.md §10.2): its geometry, memory
/// layout and the valid value range per channel that noise is drawn from.
public struct InputSpace: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// true: `[H, W, C]` (pictures, `Image.pixels`); false: planar `[C, H, W]` (network tensors).
    public var interleaved: Bool
    public var noiseLow: [Float]
    public var noiseHigh: [Float]
    /// What the values are, for the report (e.g. "ImageNet-normalised tensor").
    public var description: String

    public init(width: Int, height: Int, channels: Int, interleaved: Bool, noiseLow: [Float], noiseHigh: [Float],
                description: String) {
        self.width = width
        self.height = height
        self.channels = channels
        self.interleaved = interleaved
        self.noiseLow = noiseLow
        self.noiseHigh = noiseHigh
        self.description = description
    }

    public var valueCount: Int { width * height * channels }

    @inline(__always)
    public func index(x: Int, y: Int, channel c: Int) -> Int {
        interleaved ? (y * width + x) * channels + c : (c * height + y) * width + x
    }
}
