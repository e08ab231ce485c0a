// Internal: clients of PlateRecognition never see libturbojpeg (and need not find its module map).
internal import CTurboJPEG

/// Why an image file could not be decoded.
public enum ImageDecodingError: Error, Equatable, CustomStringConvertible {
    case empty
    case unknownFormat
    case corruptJPEG(String)
    case truncated(String)
    case malformedHeader(String)

    public var description: String {
        switch self {
        case .empty: "empty file"
        case .unknownFormat: "not a JPEG, PGM or PPM image"
        case .corruptJPEG(let why): "corrupt JPEG: \(why)"
        case .truncated(let what): "truncated \(what)"
        case .malformedHeader(let why): "malformed header: \(why)"
        }
    }
}

/// Decodes JPEG (through libturbojpeg), binary and ASCII PGM/PPM into grayscale.
///
/// Every failure, including libjpeg warnings such as a premature end of data,
/// is an error: a half-decoded frame must not be read as a plate.
public enum ImageDecoder {
    public static func decode(_ bytes: [UInt8]) throws(ImageDecodingError) -> GrayImage {
        guard !bytes.isEmpty else { throw .empty }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return try decodeJPEG(bytes)
        }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), [UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "5"), UInt8(ascii: "6")].contains(bytes[1]) {
            return try decodePNM(bytes)
        }
        throw .unknownFormat
    }

    // MARK: JPEG

    static func decodeJPEG(_ bytes: [UInt8]) throws(ImageDecodingError) -> GrayImage {
        guard let handle = tjInitDecompress() else { throw .corruptJPEG("cannot create a decompressor") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer { buf in
            tjDecompressHeader3(handle, buf.baseAddress, UInt(buf.count), &width, &height, &subsamp, &colorspace)
        }
        guard header == 0 else { throw .corruptJPEG(errorString(handle)) }
        guard width > 0, height > 0, Int(width) * Int(height) <= 100_000_000 else {
            throw .malformedHeader("JPEG size \(width)x\(height)")
        }
        // A JPEG ends with EOI (FF D9); libjpeg only warns when it is missing.
        var end = bytes.count
        while end > 2, bytes[end - 1] == 0 || bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        guard end >= 2, bytes[end - 2] == 0xFF, bytes[end - 1] == 0xD9 else { throw .truncated("JPEG (no end-of-image marker)") }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height))
        let flags = Int32(TJFLAG_STOPONWARNING) | Int32(TJFLAG_ACCURATEDCT)
        let rc = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, width, width, height, Int32(TJPF_GRAY.rawValue), flags)
            }
        }
        guard rc == 0 else {
            let why = errorString(handle)
            if why.localizedLowercase.contains("premature") { throw .truncated("JPEG (\(why))") }
            throw .corruptJPEG(why)
        }
        return GrayImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    private static func errorString(_ handle: tjhandle) -> String {
        guard let c = tjGetErrorStr2(handle) else { return "unknown libturbojpeg error" }
        return String(cString: c)
    }

    // MARK: PGM / PPM

    static func decodePNM(_ bytes: [UInt8]) throws(ImageDecodingError) -> GrayImage {
        let kind = bytes[1]
        var i = 2
        func skipSpaceAndComments() {
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "#") {
                    while i < bytes.count, bytes[i] != 0x0A { i += 1 }
                } else if isSpace(bytes[i]) {
                    i += 1
                } else {
                    return
                }
            }
        }
        func number(_ what: String) throws(ImageDecodingError) -> Int {
            skipSpaceAndComments()
            var value = 0, digits = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                value = value * 10 + Int(bytes[i] - 0x30)
                digits += 1
                i += 1
                if value > 1 << 24 { throw .malformedHeader("\(what) too large") }
            }
            if digits == 0 {
                if i >= bytes.count { throw .truncated("PNM header") }
                throw .malformedHeader("expected \(what)")
            }
            return value
        }
        let width = try number("width"), height = try number("height"), maxval = try number("maxval")
        guard width > 0, height > 0, width * height <= 100_000_000 else { throw .malformedHeader("size \(width)x\(height)") }
        guard maxval > 0, maxval < 65536 else { throw .malformedHeader("maxval \(maxval)") }
        let channels = (kind == UInt8(ascii: "3") || kind == UInt8(ascii: "6")) ? 3 : 1
        let count = width * height
        var pixels = [UInt8](repeating: 0, count: count)
        let scale = { (v: Int) -> Int in maxval == 255 ? v : min(255, v * 255 / maxval) }
        if kind == UInt8(ascii: "5") || kind == UInt8(ascii: "6") {
            guard i < bytes.count, isSpace(bytes[i]) else { throw .truncated("PNM header") }
            i += 1
            let bps = maxval < 256 ? 1 : 2
            let need = count * channels * bps
            guard bytes.count - i >= need else { throw .truncated("PNM data (\(bytes.count - i) of \(need) bytes)") }
            for p in 0..<count {
                var acc = 0
                for c in 0..<channels {
                    let o = i + (p * channels + c) * bps
                    let v = bps == 1 ? Int(bytes[o]) : Int(bytes[o]) << 8 | Int(bytes[o + 1])
                    acc += channels == 3 ? [299, 587, 114][c] * scale(v) : scale(v)
                }
                pixels[p] = UInt8(channels == 3 ? (acc + 500) / 1000 : acc)
            }
        } else {
            for p in 0..<count {
                var acc = 0
                for c in 0..<channels {
                    let v = try number("sample")
                    guard v <= maxval else { throw .malformedHeader("sample above maxval") }
                    acc += channels == 3 ? [299, 587, 114][c] * scale(v) : scale(v)
                }
                pixels[p] = UInt8(channels == 3 ? (acc + 500) / 1000 : acc)
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }

    /// Encodes a grayscale image as binary PGM (fixtures, debugging).
    public static func encodePGM(_ image: GrayImage) -> [UInt8] {
        Array("P5\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }
}
