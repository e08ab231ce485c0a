internal import CTurboJPEG

/// Why an image could not be encoded.
public struct JPEGEncodingError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { "JPEG encoding failed: \(reason)" }
}

/// Encodes grey images as baseline JPEG through libturbojpeg: the evidence
/// a gate keeps (the best frame and the plate crop) of violations and reviews.
public enum JPEGEncoder {
    /// A grey JPEG of `image` at `quality` (1…100).
    public static func encode(_ image: GrayImage, quality: Int = 85) throws(JPEGEncodingError) -> [UInt8] {
        guard image.width > 0, image.height > 0 else { throw JPEGEncodingError(reason: "empty image") }
        guard let handle = tjInitCompress() else { throw JPEGEncodingError(reason: "cannot create a compressor") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(
                handle, pixels.baseAddress, Int32(image.width), Int32(image.width), Int32(image.height), Int32(TJPF_GRAY.rawValue),
                &output, &size, Int32(TJSAMP_GRAY.rawValue), Int32(max(1, min(100, quality))), Int32(TJFLAG_ACCURATEDCT))
        }
        defer { if let output { tjFree(output) } }
        guard rc == 0, let output, size > 0 else {
            throw JPEGEncodingError(reason: tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// The region `box` grown by `margin` of its size on every side, clipped to the image.
    public static func crop(_ image: GrayImage, box: PlateBox, margin: Double = 0.25) -> GrayImage? {
        let dx = Int((Double(box.width) * margin).rounded()), dy = Int((Double(box.height) * margin).rounded())
        let x0 = max(0, box.x - dx), y0 = max(0, box.y - dy)
        let x1 = min(image.width, box.x + box.width + dx), y1 = min(image.height, box.y + box.height + dy)
        guard x1 > x0, y1 > y0 else { return nil }
        var pixels = [UInt8]()
        pixels.reserveCapacity((x1 - x0) * (y1 - y0))
        for y in y0..<y1 { pixels += image.pixels[(y * image.width + x0)..<(y * image.width + x1)] }
        return GrayImage(width: x1 - x0, height: y1 - y0, pixels: pixels)
    }
}
