import Domain
import Foundation

/// One piece of an evidence image (revision 4, `evidence`): the image of
/// `(origin, seq, role)` whose digest its signed event carries, `data` being
/// its bytes from `offset`. Central answers with the offset it holds, so an
/// upload resumes after a restart of either side.
public struct EvidenceChunk: Codable, Sendable, Hashable {
    public var origin: String
    public var seq: Int64
    public var role: String
    public var sha256: String
    public var totalBytes: Int
    public var offset: Int
    /// The bytes, base64 on the wire; at most `ProtocolVersion.maxEvidenceChunkBytes`.
    public var data: Data

    public init(origin: String, seq: Int64, role: String, sha256: String, totalBytes: Int, offset: Int, data: Data) {
        self.origin = origin
        self.seq = seq
        self.role = role
        self.sha256 = sha256
        self.totalBytes = totalBytes
        self.offset = offset
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case origin, seq, role, sha256, offset, data
        case totalBytes = "total_bytes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        origin = try container.decode(String.self, forKey: .origin)
        seq = try container.decode(Int64.self, forKey: .seq)
        role = try container.decode(String.self, forKey: .role)
        sha256 = try container.decode(String.self, forKey: .sha256)
        totalBytes = try container.decode(Int.self, forKey: .totalBytes)
        offset = try container.decode(Int.self, forKey: .offset)
        let text = try container.decode(String.self, forKey: .data)
        guard let bytes = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "data is not base64")
        }
        data = bytes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(origin, forKey: .origin)
        try container.encode(seq, forKey: .seq)
        try container.encode(role, forKey: .role)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(totalBytes, forKey: .totalBytes)
        try container.encode(offset, forKey: .offset)
        try container.encode(data.base64EncodedString(), forKey: .data)
    }

    /// Why the chunk's fields are not acceptable on their own, or nil.
    public var problem: String? {
        if let problem = Event.problem(inOrigin: origin) { return problem }
        guard seq > 0, seq <= InputLimits.largestInteger else { return "seq must be positive" }
        guard ["frame", "crop"].contains(role) else { return "role must be frame or crop" }
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return "sha256 must be 64 lowercase hex digits"
        }
        guard (1...EventImageDigest.largestImage).contains(totalBytes) else { return "total_bytes must be within 1...\(EventImageDigest.largestImage)" }
        guard data.count <= ProtocolVersion.maxEvidenceChunkBytes else { return "data holds at most \(ProtocolVersion.maxEvidenceChunkBytes) bytes" }
        guard offset >= 0, offset + data.count <= totalBytes else { return "offset and data must lie within total_bytes" }
        return nil
    }
}

/// Central's answer to `evidence` (revision 4): it holds the image's bytes
/// up to `nextOffset`; `complete` once the whole image matched the digest in
/// the signed event. `error` says why nothing was stored (unknown event, a
/// role the event does not list, a digest mismatch: the gate's copy is bad).
public struct EvidenceAck: Codable, Sendable, Hashable {
    public var origin: String
    public var seq: Int64
    public var role: String
    public var nextOffset: Int
    public var complete: Bool
    public var error: String?

    public init(origin: String, seq: Int64, role: String, nextOffset: Int, complete: Bool, error: String? = nil) {
        self.origin = origin
        self.seq = seq
        self.role = role
        self.nextOffset = nextOffset
        self.complete = complete
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case origin, seq, role, complete, error
        case nextOffset = "next_offset"
    }
}
