import CCairo
import Foundation
import LRPCore

/// A drawing surface for figures and plots, backed by Cairo (Debian's libcairo2-dev).
///
/// One canvas is one picture: draw on it, then `pngData()` (raster canvases) or `finishSVG()`
/// (vector canvases). Output goes through memory so that callers write files atomically
/// (`AtomicFile`), never a half-written picture. Coordinates are in pixels (raster) or points
/// (SVG), origin top left, y down.
public final class Canvas {
    public enum Kind: Sendable { case raster, vector }

    public let width: Int
    public let height: Int
    public let kind: Kind
    let surface: OpaquePointer
    let cr: OpaquePointer
    /// The SVG stream's bytes (vector canvases); filled by Cairo's write callback.
    private let svgSink: SVGSink?

    final class SVGSink { var data = Data() }

    /// A white canvas of `width` × `height`.
    public init(width: Int, height: Int, kind: Kind = .raster) throws {
        guard width > 0, height > 0, width <= 32_767, height <= 32_767 else {
            throw LRPError("a canvas of \(width)×\(height) cannot be drawn (1 to 32767 per side)")
        }
        self.width = width
        self.height = height
        self.kind = kind
        switch kind {
        case .raster:
            svgSink = nil
            surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        case .vector:
            let sink = SVGSink()
            svgSink = sink
            surface = cairo_svg_surface_create_for_stream({ closure, bytes, length in
                guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
                let sink = Unmanaged<SVGSink>.fromOpaque(closure).takeUnretainedValue()
                sink.data.append(bytes, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque(), Double(width), Double(height))
        }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw LRPError("cannot create a \(width)×\(height) drawing surface (out of memory?)")
        }
        cr = cairo_create(surface)
        fill(x: 0, y: 0, width: Double(width), height: Double(height), color: .white)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    // MARK: shapes

    /// Fills an axis-aligned rectangle.
    public func fill(x: Double, y: Double, width: Double, height: Double, color: RGBA) {
        setColor(color)
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
    }

    /// Strokes an axis-aligned rectangle.
    public func stroke(x: Double, y: Double, width: Double, height: Double, color: RGBA, lineWidth: Double = 1) {
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_rectangle(cr, x, y, width, height)
        cairo_stroke(cr)
    }

    /// Strokes the polyline through `points`; `dash` (on, off lengths) for dashed lines.
    public func polyline(_ points: [(x: Double, y: Double)], color: RGBA, lineWidth: Double = 1.5,
                         dash: [Double] = []) {
        guard let first = points.first else { return }
        setColor(color)
        cairo_set_line_width(cr, lineWidth)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
        cairo_move_to(cr, first.x, first.y)
        for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    /// Fills a circle (plot markers).
    public func dot(x: Double, y: Double, radius: Double, color: RGBA) {
        setColor(color)
        cairo_arc(cr, x, y, radius, 0, 2 * Double.pi)
        cairo_fill(cr)
    }

    // MARK: text

    public enum Align: Sendable { case left, center, right }

    /// Draws one line of text with its baseline at `y` (DejaVu Sans, Cairo's toy text API:
    /// enough for labels, legends and axes).
    public func text(_ string: String, x: Double, y: Double, size: Double = 12, color: RGBA = .black,
                     bold: Bool = false, align: Align = .left) {
        setFont(size: size, bold: bold)
        setColor(color)
        var dx = 0.0
        if align != .left {
            let w = textWidth(string, size: size, bold: bold)
            dx = align == .center ? -w / 2 : -w
        }
        cairo_move_to(cr, x + dx, y)
        cairo_show_text(cr, string)
    }

    /// The advance width of `string` at `size`.
    public func textWidth(_ string: String, size: Double = 12, bold: Bool = false) -> Double {
        setFont(size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, string, &extents)
        return extents.x_advance
    }

    // MARK: pictures

    /// Draws an 8-bit RGB or RGBA picture (`channels` 3 or 4, rows top to bottom) scaled into
    /// the rectangle; `smooth` false keeps blocks sharp (coarse relevance maps stay visibly coarse).
    public func image(_ pixels: [UInt8], width w: Int, height h: Int, channels: Int,
                      x: Double, y: Double, width dw: Double, height dh: Double, smooth: Bool = true) throws {
        guard channels == 3 || channels == 4, w > 0, h > 0, pixels.count == w * h * channels else {
            throw LRPError("a picture of \(w)×\(h)×\(channels) does not match its \(pixels.count) bytes")
        }
        let picture = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(w), Int32(h))
        defer { cairo_surface_destroy(picture) }
        guard cairo_surface_status(picture) == CAIRO_STATUS_SUCCESS, let base = cairo_image_surface_get_data(picture) else {
            throw LRPError("cannot allocate a \(w)×\(h) picture")
        }
        cairo_surface_flush(picture)
        let stride = Int(cairo_image_surface_get_stride(picture))
        // Cairo wants premultiplied ARGB in native-endian 32-bit words.
        base.withMemoryRebound(to: UInt8.self, capacity: stride * h) { dst in
            for row in 0..<h {
                let words = UnsafeMutableRawPointer(dst + row * stride).assumingMemoryBound(to: UInt32.self)
                for col in 0..<w {
                    let i = (row * w + col) * channels
                    let a = channels == 4 ? UInt32(pixels[i + 3]) : 255
                    let r = UInt32(pixels[i]) * a / 255, g = UInt32(pixels[i + 1]) * a / 255, b = UInt32(pixels[i + 2]) * a / 255
                    words[col] = (a << 24) | (r << 16) | (g << 8) | b
                }
            }
        }
        cairo_surface_mark_dirty(picture)
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, dw / Double(w), dh / Double(h))
        cairo_set_source_surface(cr, picture, 0, 0)
        let pattern = cairo_get_source(cr)
        cairo_pattern_set_filter(pattern, smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST)
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
        cairo_rectangle(cr, 0, 0, Double(w), Double(h))
        cairo_fill(cr)
        cairo_restore(cr)
    }

    // MARK: output

    /// The raster canvas as PNG bytes.
    public func pngData() throws -> Data {
        guard kind == .raster else { throw LRPError("a vector canvas has no PNG form") }
        cairo_surface_flush(surface)
        final class Sink { var data = Data() }
        let sink = Sink()
        let status = cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
            guard let closure, let bytes else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().data.append(bytes, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else {
            throw LRPError("cannot encode the picture as PNG: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.data
    }

    /// Ends a vector canvas and returns its SVG document; nothing can be drawn afterwards.
    public func finishSVG() throws -> Data {
        guard kind == .vector, let svgSink else { throw LRPError("a raster canvas has no SVG form") }
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw LRPError("cannot write the SVG: \(String(cString: cairo_status_to_string(status)))")
        }
        return svgSink.data
    }

    /// Writes the canvas atomically as PNG (raster) or SVG (vector).
    public func write(to url: URL) throws {
        try AtomicFile.write(kind == .raster ? pngData() : finishSVG(), to: url)
    }

    /// The raster canvas's pixels as 8-bit RGB, rows top to bottom (for tests and re-use).
    public func rgbPixels() -> [UInt8] {
        precondition(kind == .raster, "rgbPixels() needs a raster canvas")
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        var out = [UInt8](repeating: 0, count: width * height * 3)
        guard let base = cairo_image_surface_get_data(surface) else { return out }
        for row in 0..<height {
            let words = UnsafeRawPointer(base + row * stride).assumingMemoryBound(to: UInt32.self)
            for col in 0..<width {
                let v = words[col], o = (row * width + col) * 3
                out[o] = UInt8((v >> 16) & 0xFF); out[o + 1] = UInt8((v >> 8) & 0xFF); out[o + 2] = UInt8(v & 0xFF)
            }
        }
        return out
    }

    private func setColor(_ c: RGBA) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a) }

    private func setFont(size: Double, bold: Bool) {
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }
}

/// A colour with components in 0...1.
public struct RGBA: Sendable, Equatable {
    public var r, g, b, a: Double
    public init(_ r: Double, _ g: Double, _ b: Double, _ a: Double = 1) { self.r = r; self.g = g; self.b = b; self.a = a }
    /// From 8-bit components.
    public init(bytes r: UInt8, _ g: UInt8, _ b: UInt8) { self.init(Double(r) / 255, Double(g) / 255, Double(b) / 255) }
    public static let white = RGBA(1, 1, 1)
    public static let black = RGBA(0, 0, 0)
    public static let grey = RGBA(0.5, 0.5, 0.5)
}
