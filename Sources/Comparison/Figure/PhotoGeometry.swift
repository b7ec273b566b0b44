import CNNRelevance
import FisherVectors
import Foundation
import LRPCore

/// Where a map's grid lies on the photograph (docs/DESIGN.md §10.1). Every preprocessing the
/// two pipelines apply is an axis-aligned scale plus offset, so one placement per axis says it
/// all: map pixel column `u` covers the photo interval `[(u + offsetX)·scaleX, (u + 1 + offsetX)·scaleX)`
/// (rows alike), in the photo's own pixels (0 at its left/top edge).
public struct GridPlacement: Sendable, Equatable {
    /// Size of the map's grid (network input or FV working image).
    public var width: Int
    public var height: Int
    /// Photo pixels per map pixel.
    public var scaleX: Double
    public var scaleY: Double
    /// Map pixel 0 starts at photo coordinate `offset·scale` (a centre crop's left/top margin
    /// in resized pixels; 0 without a crop).
    public var offsetX: Double
    public var offsetY: Double

    public init(width: Int, height: Int, scaleX: Double, scaleY: Double, offsetX: Double = 0, offsetY: Double = 0) {
        self.width = width
        self.height = height
        self.scaleX = scaleX
        self.scaleY = scaleY
        self.offsetX = offsetX
        self.offsetY = offsetY
    }

    /// The photo rectangle the grid covers (x, y, width, height in photo pixels).
    public var photoRect: (x: Double, y: Double, width: Double, height: Double) {
        (offsetX * scaleX, offsetY * scaleY, Double(width) * scaleX, Double(height) * scaleY)
    }

    /// Photo pixels per map pixel, one number (geometric mean of the two axes) for comparing
    /// sizes such as receptive fields.
    public var meanScale: Double { (scaleX * scaleY).squareRoot() }
}

/// The placements of the two pipelines' grids on a photograph of `photoWidth × photoHeight`.
public enum PhotoGeometry {
    /// The CNN input grid: `--crop none` (`ImageFit.resize`) stretches the whole photo to the
    /// input; `center` resizes the shorter side to size·256/224 and crops the middle, exactly as
    /// `Preprocessing.fitted` does (torchvision's integer sizes and round-half-even offsets).
    public static func cnn(photoWidth pw: Int, photoHeight ph: Int, preprocessing p: Preprocessing) -> GridPlacement {
        switch p.fit {
        case .resize:
            return GridPlacement(width: p.width, height: p.height,
                                 scaleX: Double(pw) / Double(p.width), scaleY: Double(ph) / Double(p.height))
        case .center:
            // Same arithmetic as Preprocessing.fitted (a reduced decode keeps these proportions).
            let short = max(p.height, p.width) * 256 / 224
            var w = short, h = short
            if pw > ph { w = Int(Double(short) * Double(pw) / Double(ph)) }
            if ph > pw { h = Int(Double(short) * Double(ph) / Double(pw)) }
            w = max(w, p.width); h = max(h, p.height)
            let x = Int((Double(w - p.width) / 2).rounded(.toNearestOrEven))
            let y = Int((Double(h - p.height) / 2).rounded(.toNearestOrEven))
            return GridPlacement(width: p.width, height: p.height,
                                 scaleX: Double(pw) / Double(w), scaleY: Double(ph) / Double(h),
                                 offsetX: Double(x), offsetY: Double(y))
        }
    }

    /// The FV working grid: the photo itself, or reduced to `ImageEncoder.maxSide` on its longer
    /// side with the same rounding as `ImageEncoder.loadImage`.
    public static func fisher(photoWidth pw: Int, photoHeight ph: Int, maxSide: Int = ImageEncoder.maxSide) -> GridPlacement {
        let (w, h) = fisherWorkingSize(photoWidth: pw, photoHeight: ph, maxSide: maxSide)
        return GridPlacement(width: w, height: h, scaleX: Double(pw) / Double(w), scaleY: Double(ph) / Double(h))
    }

    /// The size `ImageEncoder.loadImage` gives a photo.
    public static func fisherWorkingSize(photoWidth pw: Int, photoHeight ph: Int,
                                         maxSide: Int = ImageEncoder.maxSide) -> (width: Int, height: Int) {
        guard max(pw, ph) > maxSide else { return (pw, ph) }
        let scale = Double(maxSide) / Double(max(pw, ph))
        return (max(1, Int((Double(pw) * scale).rounded())), max(1, Int((Double(ph) * scale).rounded())))
    }

    /// A display size for a photo: scaled (up or down) so that its longer side is `maxSide`,
    /// keeping the aspect ratio, at least 1 pixel per side.
    public static func displaySize(photoWidth pw: Int, photoHeight ph: Int, maxSide: Int) -> (width: Int, height: Int) {
        let s = Double(maxSide) / Double(max(pw, ph))
        return (max(1, Int((Double(pw) * s).rounded())), max(1, Int((Double(ph) * s).rounded())))
    }
}
