import CKernels
import Foundation

/// A decoded picture kept as the decoder's bytes (HWC, 1 or 3 channels, 0...255). The CNN
/// preprocessing resamples in 8 bits as Pillow does, so it reads these directly instead of a
/// float copy of the whole photograph (`Image` is this picture as floats).
public struct ByteImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `height * width * channels` bytes, row-major, channel fastest.
    public var bytes: [UInt8]
    /// See `Image.extentWidth`: set for a picture reduced while decoding.
    public var extentWidth: Double?
    public var extentHeight: Double?

    public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        precondition(channels == 1 || channels == 3)
        precondition(bytes.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.bytes = bytes
    }

    /// A float picture's samples rounded and clamped to bytes (`Image.bytes()`), alpha dropped.
    public init(rounding image: Image) {
        let source = image.channels == 4 ? image.rgb() : image
        self.init(width: source.width, height: source.height, channels: source.channels, bytes: source.bytes())
        (extentWidth, extentHeight) = (image.extentWidth, image.extentHeight)
    }

    /// Three-channel version (grey replicated).
    public func rgb() -> ByteImage {
        guard channels == 1 else { return self }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                for i in 0..<src.count { dst[3 * i] = src[i]; dst[3 * i + 1] = src[i]; dst[3 * i + 2] = src[i] }
            }
        }
        var picture = ByteImage(width: width, height: height, channels: 3, bytes: out)
        (picture.extentWidth, picture.extentHeight) = (extentWidth, extentHeight)
        return picture
    }

    /// Loads a JPEG or PNG file as `Image.load` does, keeping the bytes.
    public static func load(_ url: URL, need: Image.Need? = nil, maxPixels: Int = Image.maxPixels) throws -> ByteImage {
        let data = try Image.read(url)
        do { return try decode(data, need: need, maxPixels: maxPixels) } catch let e as LRPError {
            throw LRPError("\(url.path): \(e.message)")
        }
    }

    /// Decodes JPEG or PNG bytes, reduced while decoding when `need` allows (`Image.reduction`).
    public static func decode(_ data: Data, need: Image.Need? = nil, maxPixels: Int = Image.maxPixels) throws -> ByteImage {
        var message = [CChar](repeating: 0, count: 256)
        let (w, h, _) = try Image.info(data)
        let (pixels, overflow) = w.multipliedReportingOverflow(by: h)
        guard !overflow, pixels <= maxPixels else {
            throw LRPError("image of \(w)×\(h) pixels is larger than the limit of \(maxPixels) pixels")
        }
        let isJPEG = data.count >= 2 && data[data.startIndex] == 0xFF && data[data.startIndex + 1] == 0xD8
        let r = need.map { Image.reduction(width: w, height: h, isJPEG: isJPEG, need: $0) } ?? .none
        var ow: Int32 = 0, oh: Int32 = 0, oc: Int32 = 0
        let sizeStatus = data.withUnsafeBytes { buf in
            lrp_image_decode_reduced(buf.bindMemory(to: UInt8.self).baseAddress, buf.count, Int32(r.scaleDenom), Int32(r.boxX),
                                     Int32(r.boxY), nil, 0, &ow, &oh, &oc, &message, message.count)
        }
        guard sizeStatus == LRP_OK.rawValue else { throw Image.decodeError(sizeStatus, message) }
        let outPixels = Int(ow) * Int(oh)
        if need != nil && outPixels > Image.maxReducedPixels {
            throw LRPError("image of \(w)×\(h) pixels is too elongated to be fitted (\(ow)×\(oh) after reduction, limit \(Image.maxReducedPixels) pixels)")
        }
        let (count, overflow2) = outPixels.multipliedReportingOverflow(by: Int(oc))
        guard !overflow2, oc >= 1 else { throw LRPError("corrupt image: implausible size \(w)x\(h)") }
        var raw = [UInt8](repeating: 0, count: count)
        let status = data.withUnsafeBytes { buf in
            raw.withUnsafeMutableBufferPointer { out in
                lrp_image_decode_reduced(buf.bindMemory(to: UInt8.self).baseAddress, buf.count, Int32(r.scaleDenom), Int32(r.boxX),
                                         Int32(r.boxY), out.baseAddress, out.count, nil, nil, nil, &message, message.count)
            }
        }
        guard status == LRP_OK.rawValue else { throw Image.decodeError(status, message) }
        var picture = ByteImage(width: Int(ow), height: Int(oh), channels: Int(oc), bytes: raw)
        if r != .none {
            picture.extentWidth = Double(w) / Double(r.scaleDenom * r.boxX)
            picture.extentHeight = Double(h) / Double(r.scaleDenom * r.boxY)
        }
        return picture
    }
}
