/// Where a plate read came from. Only a read a camera took of a real vehicle
/// (live, or a recording of one) can become a fine; the others exist to
/// commission, test and demonstrate a gate (docs/protocol.md §3.3, `source`).
public enum ReadSource: String, Sendable, Codable, Hashable, CaseIterable {
    /// A live camera (V4L2).
    case camera
    /// A recording of a real street played as the camera (`.y4m`, a folder of frames).
    case video
    /// A replay file of reads (`replay_file`): text, no image.
    case replay
    /// The demo's synthetic stream (`generate_reads_per_minute`).
    case generator
    /// Typed in by a technician (`bollardctl inject`).
    case injected
    /// No source given (a gate of protocol revision 4 or older) or one this build does not know.
    case unknown

    /// Reads the wire text; anything unrecognised (or absent) is `unknown`.
    public init(wire text: String?) {
        self = text.flatMap(ReadSource.init(rawValue:)) ?? .unknown
    }

    /// Whether a violation from this read may become a fine: only camera and video reads.
    /// An unknown source is not, so a gate that does not say where its reads come from fines no one.
    public var mayBecomeFine: Bool { self == .camera || self == .video }

    /// The wire text for a known source; nil for `unknown` (the field is then left out).
    public var wireValue: String? { self == .unknown ? nil : rawValue }
}
