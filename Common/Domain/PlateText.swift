/// A licence plate's text in one canonical form, so that the same plate read with spaces,
/// dashes or lower case always finds the same permit.
public struct PlateText: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// ASCII uppercase letters and digits only.
    public let normalized: String
    /// Stored rather than recomputed: the gate's hot path asks for it on every read.
    private let key: String

    /// Keeps ASCII letters (upper-cased) and digits, drops everything else; nil unless 2...10 characters remain.
    public init?(_ raw: String) {
        // Stack buffer: this runs for every read on the gate's hot path, so no heap allocation.
        let result: (String, String)? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { buffer in
            var count = 0
            for byte in raw.utf8 {
                let kept: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    kept = byte
                case UInt8(ascii: "a")...UInt8(ascii: "z"):
                    kept = byte - 32
                default:
                    // Multi-byte UTF-8 sequences (e.g. Ñ) only contain bytes ≥ 0x80, so they vanish here.
                    continue
                }
                guard count < 10 else { return nil }
                buffer[count] = kept
                count += 1
            }
            guard count >= 2 else { return nil }
            let plate = UnsafeBufferPointer(rebasing: buffer[..<count])
            let normalized = String(decoding: plate, as: UTF8.self)
            for i in 0..<count { buffer[i] = PlateText.fold(buffer[i]) }
            return (normalized, String(decoding: plate, as: UTF8.self))
        }
        guard let (normalized, key) = result else { return nil }
        self.normalized = normalized
        self.key = key
    }

    /// The plate with OCR-confusable characters folded to one representative
    /// (O,D,Q→0; I,L→1; Z→2; S→5; G→6; B→8): equal keys mean the plates may be one plate misread.
    public var confusionKey: String { key }

    /// Plates are personal data: interpolating one into a log shows only a prefix and the length.
    /// Short plates show fewer characters so the full text never appears.
    public var description: String {
        let count = normalized.utf8.count
        let shown = min(2, count - 2)
        return String(normalized.prefix(shown)) + "…(\(count))"
    }

    public static func < (lhs: PlateText, rhs: PlateText) -> Bool {
        lhs.normalized < rhs.normalized
    }

    public static func == (lhs: PlateText, rhs: PlateText) -> Bool {
        lhs.normalized == rhs.normalized
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(normalized)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let plate = PlateText(raw) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "plate text does not normalise to 2...10 letters or digits")
        }
        self = plate
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(normalized)
    }

    private static func fold(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "O"), UInt8(ascii: "D"), UInt8(ascii: "Q"): UInt8(ascii: "0")
        case UInt8(ascii: "I"), UInt8(ascii: "L"): UInt8(ascii: "1")
        case UInt8(ascii: "Z"): UInt8(ascii: "2")
        case UInt8(ascii: "S"): UInt8(ascii: "5")
        case UInt8(ascii: "G"): UInt8(ascii: "6")
        case UInt8(ascii: "B"): UInt8(ascii: "8")
        default: byte
        }
    }
}
