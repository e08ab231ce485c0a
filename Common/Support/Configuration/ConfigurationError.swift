/// Every problem found in a configuration, each naming where it was (file
/// and line, environment variable or flag), the key, the value and what is
/// allowed. The daemons exit with `exitCode` (78, `EX_CONFIG`), which their
/// units do not restart: a wrong file needs a person, not a restart loop.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public static let exitCode: Int32 = 78

    public struct Problem: CustomStringConvertible, Equatable, Sendable {
        public enum Kind: String, Sendable {
            case unreadableFile, malformedLine, unknownKey, duplicateKey, badValue, missingKey
            /// A value that is allowed alone but does not fit with another key's.
            case conflict
        }

        public var kind: Kind
        /// `edge.conf:12`, `environment BOLLARD_EDGE_GATE_ID`, `--gate-id`, or the file alone for a missing key.
        public var origin: String
        public var key: String?
        public var value: String?
        /// What the key takes, in words.
        public var allowed: String?
        /// More to say: why a value was refused, where a duplicate was first set, a key that was probably meant.
        public var detail: String?

        public var description: String {
            let shownValue = value.map(Self.show) ?? ""
            switch kind {
            case .unreadableFile:
                return "\(origin): cannot read the configuration file: \(detail ?? "unknown error")"
            case .malformedLine:
                return "\(origin): expected 'key = value', got '\(shownValue)'"
            case .unknownKey:
                return "\(origin): unknown key '\(Self.show(key ?? ""))' (value '\(shownValue)')" + (detail.map { "; \($0)" } ?? "")
            case .duplicateKey:
                return "\(origin): duplicate key '\(key ?? "")' = '\(shownValue)'" + (detail.map { "; \($0)" } ?? "")
            case .badValue:
                return "\(origin): \(key ?? "") = '\(shownValue)' is not allowed; allowed: \(allowed ?? "?")" + (detail.map { " (\($0))" } ?? "")
            case .conflict:
                return "\(origin): \(key ?? "") = '\(shownValue)' does not fit: \(detail ?? "?")"
            case .missingKey:
                return "\(origin): missing required key '\(key ?? "")'; allowed: \(allowed ?? "?")" + (detail.map { "; \($0)" } ?? "")
            }
        }

        /// At most 80 characters, control characters escaped: a value is printed, never trusted.
        static func show(_ text: String) -> String {
            let escaped = text.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
            return escaped.count > 80 ? escaped.prefix(77) + "..." : escaped
        }
    }

    public var problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
