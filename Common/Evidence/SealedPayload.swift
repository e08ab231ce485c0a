import Foundation

/// The fields of a signed event payload (`EventSeal.payload`) read back from
/// its bytes: what a verifier needs to follow the hash chain without trusting
/// anything outside the signed bytes.
public struct SealedPayload: Sendable, Equatable {
    /// The payload's `key=value` lines in order, the first (format) line left out.
    public var fields: [(key: String, value: String)]

    public static func == (lhs: SealedPayload, rhs: SealedPayload) -> Bool {
        lhs.fields.map(\.key) == rhs.fields.map(\.key) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// Reads `bytes`; nil unless they are UTF-8 text that starts with `bollard-event/1`, ends
    /// with a newline, and holds `key=value` lines with origin, seq and prev among them.
    public init?(_ bytes: Data) {
        guard let text = String(data: bytes, encoding: .utf8), text.hasSuffix("\n") else { return nil }
        var lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "bollard-event/1" else { return nil }
        lines.removeFirst()
        var fields: [(key: String, value: String)] = []
        for line in lines {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            fields.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
        }
        self.fields = fields
        guard value("origin") != nil, seq != nil, let prev, prev.utf8.count == 64 else { return nil }
    }

    /// The value of the first line with `key`, or nil.
    public func value(_ key: String) -> String? {
        fields.first { $0.key == key }?.value
    }

    public var origin: String { value("origin") ?? "" }
    public var seq: Int64? { value("seq").flatMap { Int64($0) } }
    public var prev: String? { value("prev") }

    /// `role → sha256` of the images the payload lists (`role:sha256:bytes`, comma-separated).
    public var imageHashes: [String: String] {
        var hashes: [String: String] = [:]
        for item in (value("images") ?? "").split(separator: ",") {
            let parts = item.split(separator: ":")
            if parts.count == 3 { hashes[String(parts[0])] = String(parts[1]) }
        }
        return hashes
    }
}
