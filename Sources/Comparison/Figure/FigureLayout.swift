import Foundation

/// Where everything of a Figure-1 picture goes (docs/DESIGN.md §10.1): a title, then two rows
/// (CNN, FV), each a header line and four captioned panels of the photo's display size, then a
/// colour legend. Pure arithmetic, so tests and the JSON can name the panel rectangles.
public struct FigureLayout: Sendable, Equatable {
    public struct Rect: Sendable, Equatable {
        public var x, y, width, height: Double
        public var json: [String: Any] { ["x": x, "y": y, "width": width, "height": height] }
    }

    public static let margin = 16.0
    public static let gap = 12.0
    public static let titleHeight = 30.0
    public static let rowHeaderHeight = 22.0
    public static let captionHeight = 31.0  // two lines of 11.5 pt
    public static let rowGap = 14.0
    public static let legendHeight = 52.0
    public static let minWidth = 980.0

    public var width: Int
    public var height: Int
    /// Panel rectangles, `panels[row][column]`: row 0 CNN, row 1 FV; columns input, high-res
    /// map, low-res map, input with the low-res map as alpha.
    public var panels: [[Rect]]
    /// Baselines of the row headers and the top-left of the legend.
    public var rowHeaderY: [Double]
    public var legendY: Double

    /// The layout for panels of `panelWidth × panelHeight` (the photo's display size);
    /// `textWidth` is the widest header line, so that no text is cut off.
    public init(panelWidth pw: Int, panelHeight ph: Int, textWidth: Double = 0) {
        let m = Self.margin, g = Self.gap
        let panelsWidth = 4 * Double(pw) + 3 * g
        let w = max(Self.minWidth, panelsWidth + 2 * m, textWidth + 2 * m)
        var y = m + Self.titleHeight
        var panels: [[Rect]] = [], headers: [Double] = []
        for _ in 0..<2 {
            headers.append(y + 15)
            y += Self.rowHeaderHeight + Self.captionHeight
            panels.append((0..<4).map { c in
                Rect(x: m + Double(c) * (Double(pw) + g), y: y, width: Double(pw), height: Double(ph))
            })
            y += Double(ph) + Self.rowGap
        }
        legendY = y
        width = Int(w.rounded(.up))
        height = Int((y + Self.legendHeight + m).rounded(.up))
        self.panels = panels
        rowHeaderY = headers
    }
}
