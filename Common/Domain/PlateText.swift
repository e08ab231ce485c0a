/// A licence plate's text in one canonical form, so that the same plate read with spaces,
/// dashes or lower case always finds the same permit.
public struct PlateText: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// ASCII uppercase letters and digits only.
    public let normalized: String
    /// Stored rather than recomputed: the gate's hot path asks for it on every read.
    private let key: String

    /// Why a text is not a plate; names the character or the count so an operator can correct it.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// A character other than A–Z, a–z, 0–9 or a separator; `position` counts from 1.
        case forbiddenCharacter(Unicode.Scalar, position: Int)
        /// Fewer than 2 or more than 10 letters and digits.
        case wrongLength(Int)

        public var description: String {
            switch self {
            case .forbiddenCharacter(let scalar, let position):
                let hex = String(scalar.value, radix: 16, uppercase: true)
                let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                // Escaped, so an error line can never carry a line break or another control character.
                return "plate character '\(LogText.escaped(String(scalar)))' (\(code)) at position \(position) is not allowed: "
                    + "a plate holds letters A-Z, digits 0-9 and separators (space, '-', '.')"
            case .wrongLength(let count):
                return "a plate holds 2 to 10 letters and digits, not \(count)"
            }
        }
    }

    /// Upper-cases ASCII letters and drops the separators space, '-' and '.'; nil when anything else is
    /// present (a character cannot be dropped: 'ÑÑ1234BC' is not the plate 1234BC) or unless 2...10 characters remain.
    public init?(_ raw: String) {
        guard case .success(let (normalized, key)) = PlateText.parse(raw) else { return nil }
        self.normalized = normalized
        self.key = key
    }

    /// As `init?`, but says why the text is refused.
    public init(validating raw: String) throws(Problem) {
        switch PlateText.parse(raw) {
        case .success(let (normalized, key)):
            self.normalized = normalized
            self.key = key
        case .failure(let problem):
            throw problem
        }
    }

    private enum Failure: Error { case forbidden(utf8Offset: Int), tooMany }

    private static func parse(_ raw: String) -> Result<(String, String), Problem> {
        // Stack buffer: this runs for every read on the gate's hot path, so no heap allocation.
        let result: Result<(String, String), Failure>? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { buffer in
            var count = 0
            for (offset, byte) in raw.utf8.enumerated() {
                let kept: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    kept = byte
                case UInt8(ascii: "a")...UInt8(ascii: "z"):
                    kept = byte - 32
                case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."):
                    continue
                default:
                    // Multi-byte UTF-8 sequences (e.g. Ñ) start with a byte ≥ 0x80 and are refused here.
                    return .failure(.forbidden(utf8Offset: offset))
                }
                guard count < 10 else { return .failure(.tooMany) }
                buffer[count] = kept
                count += 1
            }
            guard count >= 2 else { return nil }
            let plate = UnsafeBufferPointer(rebasing: buffer[..<count])
            let normalized = String(decoding: plate, as: UTF8.self)
            for i in 0..<count { buffer[i] = PlateText.fold(buffer[i]) }
            return .success((normalized, String(decoding: plate, as: UTF8.self)))
        }
        switch result {
        case .success(let pair)?:
            return .success(pair)
        case .failure(.forbidden(let offset))?:
            // Slow path, errors only: name the offending scalar and its position.
            let index = raw.utf8.index(raw.utf8.startIndex, offsetBy: offset)
            let scalar = raw.unicodeScalars[index]
            let position = raw.unicodeScalars.distance(from: raw.unicodeScalars.startIndex, to: index) + 1
            return .failure(.forbiddenCharacter(scalar, position: position))
        case .failure(.tooMany)?, nil:
            return .failure(.wrongLength(raw.utf8.filter { ![UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: ".")].contains($0) }.count))
        }
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
        do { self = try PlateText(validating: raw) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(normalized)
    }

    static func fold(_ byte: UInt8) -> UInt8 {
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
