/// Why a YUV4MPEG2 file cannot be played, with where it went wrong.
public struct Y4MError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case cannotOpen
        /// The file does not start with `YUV4MPEG2 `.
        case notY4M
        /// A header parameter is missing or malformed.
        case badHeader
        /// The colour space is one we cannot take the luma of (e.g. 10-bit).
        case unsupportedColorspace
        /// A frame does not start with a `FRAME` line.
        case badFrameHeader
        /// The file ends inside a frame.
        case truncated
        case readFailed
    }

    public var code: Code
    public var path: String
    /// Index of the frame (0-based) where it went wrong; nil for the stream header.
    public var frame: Int?
    /// Byte offset in the file where the bad part starts.
    public var offset: Int
    public var detail: String

    public init(_ code: Code, path: String, frame: Int?, offset: Int, detail: String) {
        self.code = code
        self.path = path
        self.frame = frame
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        let place = frame.map { "frame \($0) at byte \(offset)" } ?? "header at byte \(offset)"
        return "\(path): \(place): \(detail)"
    }
}
