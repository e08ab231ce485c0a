/// The stream header of a YUV4MPEG2 file (`YUV4MPEG2 W640 H480 F25:1 Ip A1:1 C420jpeg`).
public struct Y4MHeader: Sendable, Equatable {
    public enum Chroma: String, Sendable, Equatable {
        case mono, c420 = "420", c422 = "422", c444 = "444", c411 = "411", c444alpha = "444alpha"
    }

    public var width: Int
    public var height: Int
    /// Frames per second as a fraction; nil when the file does not say.
    public var frameRate: (numerator: Int, denominator: Int)?
    public var chroma: Chroma

    /// Bytes of picture data after each FRAME line: the luma plane, then the rest.
    public var frameBytes: Int {
        let luma = width * height
        switch chroma {
        case .mono: return luma
        case .c420: return luma + 2 * ((width + 1) / 2) * ((height + 1) / 2)
        case .c422: return luma + 2 * ((width + 1) / 2) * height
        case .c411: return luma + 2 * ((width + 3) / 4) * height
        case .c444: return 3 * luma
        case .c444alpha: return 4 * luma
        }
    }

    public var framesPerSecond: Double? {
        frameRate.map { Double($0.numerator) / Double($0.denominator) }
    }

    public static func == (a: Y4MHeader, b: Y4MHeader) -> Bool {
        a.width == b.width && a.height == b.height && a.chroma == b.chroma
            && a.frameRate?.numerator == b.frameRate?.numerator && a.frameRate?.denominator == b.frameRate?.denominator
    }

    /// Parses the header line (without its newline).
    /// - Throws: `Y4MError` naming the offending parameter.
    static func parse(_ line: [UInt8], path: String) throws(Y4MError) -> Y4MHeader {
        func fail(_ code: Y4MError.Code, _ detail: String) -> Y4MError {
            Y4MError(code, path: path, frame: nil, offset: 0, detail: detail)
        }
        let magic = Array("YUV4MPEG2".utf8)
        guard line.count >= magic.count, Array(line.prefix(magic.count)) == magic,
            line.count == magic.count || line[magic.count] == UInt8(ascii: " ")
        else {
            throw fail(.notY4M, "not a YUV4MPEG2 file (it must start with 'YUV4MPEG2 ')")
        }
        var width: Int?, height: Int?, rate: (Int, Int)?, chroma = Chroma.c420
        for token in line.dropFirst(magic.count).split(separator: UInt8(ascii: " ")) {
            let tag = Character(UnicodeScalar(token.first!))
            let value = String(decoding: token.dropFirst(), as: UTF8.self)
            switch tag {
            case "W", "H":
                guard let n = Int(value), n > 0, n <= 16384 else { throw fail(.badHeader, "\(tag) must be a size in 1...16384, got '\(value.prefix(20))'") }
                if tag == "W" { width = n } else { height = n }
            case "F", "A":
                let parts = value.split(separator: ":")
                guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n >= 0, d >= 0 else {
                    throw fail(.badHeader, "\(tag) must be 'n:d', got '\(value.prefix(20))'")
                }
                if tag == "F" {
                    guard n > 0, d > 0 else { throw fail(.badHeader, "frame rate F\(value) is not positive") }
                    rate = (n, d)
                }
            case "I":
                guard ["?", "p", "t", "b", "m"].contains(value) else { throw fail(.badHeader, "interlacing I\(value.prefix(10)) is not p, t, b, m or ?") }
            case "C":
                switch value {
                case "mono": chroma = .mono
                case "420", "420jpeg", "420paldv", "420mpeg2": chroma = .c420
                case "422": chroma = .c422
                case "444": chroma = .c444
                case "411": chroma = .c411
                case "444alpha": chroma = .c444alpha
                default: throw fail(.unsupportedColorspace, "colour space C\(value.prefix(20)) is not supported (8-bit mono, 411, 420, 422, 444 only)")
                }
            case "X": continue  // extensions: ignored, as the format says
            default: continue  // unknown tags are ignored by readers
            }
        }
        guard let width else { throw fail(.badHeader, "no width (W) parameter") }
        guard let height else { throw fail(.badHeader, "no height (H) parameter") }
        guard width * height <= 64 << 20 else { throw fail(.badHeader, "frame size \(width)x\(height) is larger than 64 megapixels") }
        return Y4MHeader(width: width, height: height, frameRate: rate.map { (numerator: $0.0, denominator: $0.1) }, chroma: chroma)
    }
}
