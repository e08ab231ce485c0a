import Crypto
import Foundation
import WireProtocol
import ZIPFoundation

/// A violation's evidence as one ZIP that a court can check offline
/// (docs/evidence.md): `manifest.json`, `manifest.sig` (central's Ed25519
/// countersignature over the manifest's exact bytes) and `images/ROLE.jpg`.
///
/// Built from plain values, so that central fills `Contents` from its store
/// and nothing here knows SQL.
public enum EvidenceBundle {
    public static let manifestName = "manifest.json"
    public static let signatureName = "manifest.sig"
    /// The archive name of an image by role (`frame`, `crop`).
    public static func imageName(role: String) -> String { "images/\(role).jpg" }
    /// How many events before and after the violation the chain shows.
    public static let chainReach = 2

    /// Everything a bundle holds, as values.
    public struct Contents: Sendable {
        /// Central's id of the event.
        public var violationID: String
        public var gateID: String
        public var origin: String
        /// The event as the gate sent it: `images`, `previousHash` and `signature` included.
        public var event: Event
        /// The gate's Ed25519 public key as registered at central, base64 ("" when unknown).
        public var gatePublicKey: String
        /// What central recorded when it checked the seal on arrival.
        public var sealStatus: String
        /// Image bytes by role (`frame`, `crop`).
        public var images: [String: Data]
        /// Other events of the same origin; the bundle keeps up to `chainReach` on each side.
        public var neighbours: [Event]
        /// The hash central recorded on arrival for events by seq (`EventSeal.hash`); a neighbour whose
        /// payload no longer rebuilds to it (its plate forgotten by retention) goes in as hash and `prev` only.
        public var recordedHashes: [Int64: String] = [:]
        /// Central's permit sequence at the passage time (nil when no change preceded it).
        public var permitSeq: Int64?
        /// The permits on the plate as they stood at the passage time.
        public var permits: [EvidenceManifest.PermitState]
        public var reviews: [Review]
        public var issuedBy: String
        public var issuedAt: Date
        /// Why the bundle was asked for (the police's stated reason).
        public var reason: String

        public struct Review: Sendable, Equatable {
            public var at: Date
            public var by: String
            public var action: String
            public var reason: String?

            public init(at: Date, by: String, action: String, reason: String?) {
                self.at = at
                self.by = by
                self.action = action
                self.reason = reason
            }
        }

        public init(
            violationID: String, gateID: String, origin: String, event: Event, gatePublicKey: String, sealStatus: String,
            images: [String: Data] = [:], neighbours: [Event] = [], permitSeq: Int64? = nil,
            permits: [EvidenceManifest.PermitState] = [], reviews: [Review] = [],
            issuedBy: String, issuedAt: Date, reason: String
        ) {
            self.violationID = violationID
            self.gateID = gateID
            self.origin = origin
            self.event = event
            self.gatePublicKey = gatePublicKey
            self.sealStatus = sealStatus
            self.images = images
            self.neighbours = neighbours
            self.permitSeq = permitSeq
            self.permits = permits
            self.reviews = reviews
            self.issuedBy = issuedBy
            self.issuedAt = issuedAt
            self.reason = reason
        }
    }

    /// Why a bundle could not be built.
    public enum BuildError: Error, Sendable, Hashable, CustomStringConvertible {
        /// An image role that is not a plain lowercase word cannot become a file name.
        case badImageRole(String)

        public var description: String {
            switch self {
            case .badImageRole(let role): "image role \"\(role)\" is not a lowercase word"
            }
        }
    }

    /// The bundle's ZIP bytes, countersigned with `centralKey`. The same
    /// contents and key give the same bytes (entries are dated `issuedAt`).
    public static func build(contents: Contents, centralKey: SigningKey) throws -> Data {
        var files: [(name: String, data: Data)] = []
        for (role, data) in contents.images.sorted(by: { $0.key < $1.key }) {
            guard !role.isEmpty, role.utf8.allSatisfy({ (97...122).contains($0) }) else { throw BuildError.badImageRole(role) }
            files.append((imageName(role: role), data))
        }
        let manifest = makeManifest(contents, files: files, centralKey: centralKey)
        let manifestBytes = try encode(manifest)
        let signature = try centralKey.privateKey.signature(for: manifestBytes).base64EncodedString()

        let archive = try Archive(data: Data(), accessMode: .create)
        let entries = [(manifestName, manifestBytes), (signatureName, Data((signature + "\n").utf8))] + files.map { ($0.name, $0.data) }
        for (name, data) in entries {
            try archive.addEntry(
                with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: contents.issuedAt,
                permissions: 0o644, compressionMethod: .none
            ) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data ?? Data()
    }

    /// The manifest's JSON bytes as they are signed: sorted keys, indented, slashes unescaped.
    public static func encode(_ manifest: EvidenceManifest) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(manifest) + Data("\n".utf8)
    }

    static func makeManifest(_ contents: Contents, files: [(name: String, data: Data)], centralKey: SigningKey) -> EvidenceManifest {
        let event = contents.event
        let payload = EventSeal.payload(of: event, origin: contents.origin)
        let others = contents.neighbours.filter { $0.seq != event.seq }.sorted { $0.seq < $1.seq }
        func link(_ neighbour: Event) -> EvidenceManifest.Link {
            let payload = EventSeal.payload(of: neighbour, origin: contents.origin)
            if let recorded = contents.recordedHashes[neighbour.seq], recorded != EventSeal.hexDigest(payload) {
                return EvidenceManifest.Link(
                    seq: neighbour.seq, payload: "", signature: "", hash: recorded, prev: neighbour.previousHash ?? EventSeal.genesis)
            }
            return EvidenceManifest.Link(seq: neighbour.seq, payload: payload.base64EncodedString(), signature: neighbour.signature ?? "")
        }
        return EvidenceManifest(
            format: EvidenceManifest.currentFormat,
            violation: EvidenceManifest.Violation(
                id: contents.violationID, gateID: contents.gateID, origin: contents.origin, seq: event.seq,
                atMilliseconds: event.atMilliseconds, at: EvidenceTime.iso8601(milliseconds: event.atMilliseconds),
                kind: event.kind.rawValue, plate: event.plate, confidence: event.confidence, permitID: event.permitID,
                reason: event.reason, candidates: event.candidates ?? [],
                images: (event.images ?? []).sorted { $0.role < $1.role }, prev: event.previousHash ?? EventSeal.genesis,
                source: event.source),
            decision: EvidenceManifest.DecisionRecord(
                by: "gate", kind: event.kind.rawValue, permitID: event.permitID, reason: event.reason,
                permitSeq: contents.permitSeq, permits: contents.permits.sorted { ($0.permit.id, $0.seq) < ($1.permit.id, $1.seq) }),
            gate: EvidenceManifest.GateRecord(id: contents.gateID, signingPublicKey: contents.gatePublicKey),
            seal: EvidenceManifest.Seal(
                payload: payload.base64EncodedString(), signature: event.signature ?? "", status: contents.sealStatus,
                eventHash: EventSeal.hexDigest(payload)),
            chain: EvidenceManifest.Chain(
                before: others.filter { $0.seq < event.seq }.suffix(chainReach).map(link),
                after: others.filter { $0.seq > event.seq }.prefix(chainReach).map(link)),
            reviews: contents.reviews.sorted { $0.at < $1.at }.map { review in
                let ms = EvidenceTime.milliseconds(review.at)
                return EvidenceManifest.Review(
                    atMilliseconds: ms, at: EvidenceTime.iso8601(milliseconds: ms), by: review.by, action: review.action,
                    reason: review.reason)
            },
            issued: EvidenceManifest.Issue(
                by: contents.issuedBy, atMilliseconds: EvidenceTime.milliseconds(contents.issuedAt),
                at: EvidenceTime.iso8601(contents.issuedAt), reason: contents.reason, centralPublicKey: centralKey.publicKeyBase64),
            files: files.map { EvidenceManifest.File(name: $0.name, sha256: EventSeal.hexDigest($0.data), bytes: $0.data.count) })
    }
}
