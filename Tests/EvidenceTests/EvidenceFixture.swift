import Crypto
import Evidence
import Foundation
import WireProtocol
import ZIPFoundation

/// A gate's chain of five signed events (seq 1...5) whose third is a
/// violation with two images, and the bundle central builds for it.
struct EvidenceFixture {
    let gateKey = SigningKey()
    let centralKey = SigningKey()
    let origin = "db-7f3a"
    let frame = Data([0xFF, 0xD8, 0xFF, 0xE0] + (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) } + [0xFF, 0xD9])
    let crop = Data([0xFF, 0xD8, 0xFF, 0xE0] + (0..<400).map { UInt8(truncatingIfNeeded: $0 * 13) } + [0xFF, 0xD9])
    let events: [Event]
    let issuedAt = Date(timeIntervalSince1970: 1_795_000_000.5)

    init() {
        var chain: [Event] = []
        var previous = EventSeal.genesis
        for seq in Int64(1)...5 {
            var event = Event(
                seq: seq, atMilliseconds: 1_794_990_000_000 + seq * 61_000, kind: .authorised, plate: "\(1000 + seq)BCD",
                confidence: 0.95, permitID: "P-\(seq)")
            if seq == 3 {
                event = Event(
                    seq: seq, atMilliseconds: 1_794_990_183_456, kind: .violation, plate: "1234BCD", confidence: 0.87,
                    permitID: "P-77", reason: "expired",
                    images: [
                        EventImageDigest(role: "frame", sha256: EventSeal.hexDigest(frame), bytes: frame.count),
                        EventImageDigest(role: "crop", sha256: EventSeal.hexDigest(crop), bytes: crop.count),
                    ])
            }
            let sealed = try! EventSeal.seal(event, origin: origin, previous: previous, key: gateKey.privateKey)
            previous = EventSeal.hash(of: sealed, origin: origin)
            chain.append(sealed)
        }
        events = chain
    }

    var violation: Event { events[2] }

    func contents(neighbours: [Event]? = nil) -> EvidenceBundle.Contents {
        EvidenceBundle.Contents(
            violationID: "porticos-01~\(origin)~3", gateID: "porticos-01", origin: origin, event: violation,
            gatePublicKey: gateKey.publicKeyBase64, sealStatus: "verified", images: ["frame": frame, "crop": crop],
            neighbours: neighbours ?? events, permitSeq: 41, permits: [],
            reviews: [.init(at: issuedAt.addingTimeInterval(-3600), by: "operator ana", action: "confirm", reason: nil)],
            issuedBy: "police token agente-12", issuedAt: issuedAt, reason: "expediente 2026/1234")
    }

    func bundle() throws -> Data {
        try EvidenceBundle.build(contents: contents(), centralKey: centralKey)
    }

    // MARK: Tampering

    /// The archive's entries in order (CRC not checked: tests tamper with bytes).
    /// Read from a file: ZIPFoundation's in-memory reader traps on offsets past the end.
    static func entries(_ zip: Data) throws -> [(name: String, data: Data)] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-fixture-\(UUID().uuidString).zip")
        try zip.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let archive = try Archive(url: file, accessMode: .read)
        return try archive.map { entry in
            var data = Data()
            _ = try archive.extract(entry, skipCRC32: true) { data.append($0) }
            return (entry.path, data)
        }
    }

    /// A new ZIP of `entries`, as anyone with a zip tool could make.
    static func zip(_ entries: [(name: String, data: Data)], compression: CompressionMethod = .none) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (name, data) in entries {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: compression) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data!
    }

    /// The bundle with its manifest changed by `change` and countersigned again with `key`
    /// (a forger holding a central key, or central itself lying): what only the gate's seal and chain catch.
    func resigned(_ zip: Data, with key: SigningKey? = nil, _ change: (inout EvidenceManifest) -> Void) throws -> Data {
        let key = key ?? centralKey
        var entries = try Self.entries(zip)
        var manifest = try JSONDecoder().decode(EvidenceManifest.self, from: entries[0].data)
        change(&manifest)
        manifest.issued.centralPublicKey = key.publicKeyBase64
        let bytes = try EvidenceBundle.encode(manifest)
        entries[0].data = bytes
        entries[1].data = Data(try key.privateKey.signature(for: bytes).base64EncodedString().utf8)
        return try Self.zip(entries)
    }

    func link(_ event: Event) -> EvidenceManifest.Link {
        EvidenceManifest.Link(
            seq: event.seq, payload: EventSeal.payload(of: event, origin: origin).base64EncodedString(), signature: event.signature ?? "")
    }
}

extension Data {
    /// The data with the first occurrence of `old` replaced by `new` (same length).
    func replacing(_ old: String, with new: String) -> Data {
        precondition(old.utf8.count == new.utf8.count)
        guard let range = range(of: Data(old.utf8)) else { preconditionFailure("\(old) not found") }
        var copy = self
        copy.replaceSubrange(range, with: Data(new.utf8))
        return copy
    }
}
