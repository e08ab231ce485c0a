import Domain
import Foundation
import WireProtocol

/// `manifest.json` of an evidence bundle (docs/evidence.md): everything a
/// court needs to know about one violation, countersigned by central in
/// `manifest.sig`. Field names are snake_case and times are both integer
/// Unix milliseconds (exact, as signed) and ISO 8601 in Madrid local time
/// (for people).
public struct EvidenceManifest: Codable, Sendable, Equatable {
    /// The format this verifier reads.
    public static let currentFormat = "bollard-evidence/1"

    public var format: String
    public var violation: Violation
    public var decision: DecisionRecord
    public var gate: GateRecord
    public var seal: Seal
    public var chain: Chain
    public var reviews: [Review]
    public var issued: Issue
    /// Every file of the bundle except manifest.json and manifest.sig.
    public var files: [File]

    /// The event as the gate sent it, and central's name for it.
    public struct Violation: Codable, Sendable, Equatable {
        /// Central's id of the event (what the API and the sanctions export call it).
        public var id: String
        public var gateID: String
        public var origin: String
        public var seq: Int64
        public var atMilliseconds: Int64
        /// `atMilliseconds` in Madrid local time, ISO 8601 with offset (for people; not signed).
        public var at: String
        public var kind: String
        public var plate: String?
        public var confidence: Double
        public var permitID: String?
        public var reason: String?
        public var candidates: [String]
        public var images: [EventImageDigest]
        /// The hash of the previous event of the same origin (64 zeros for the first).
        public var prev: String
        /// Where the read came from (revision 5; absent for older gates, signed when present).
        public var source: String? = nil

        enum CodingKeys: String, CodingKey {
            case id, origin, seq, at, kind, plate, confidence, reason, candidates, images, prev, source
            case gateID = "gate_id"
            case atMilliseconds = "at_ms"
            case permitID = "permit_id"
        }

        /// The wire event these fields describe, signature aside: `EventSeal.payload` of it must be the signed payload.
        public func event(signature: String?) -> Event? {
            guard let kind = DecisionKind(rawValue: kind) else { return nil }
            return Event(
                seq: seq, atMilliseconds: atMilliseconds, kind: kind, plate: plate, confidence: confidence,
                permitID: permitID, reason: reason, candidates: candidates.isEmpty ? nil : candidates,
                images: images.isEmpty ? nil : images, previousHash: prev, signature: signature, source: source)
        }
    }

    /// What the gate decided, and the permits on that plate as central knew them when the vehicle passed.
    public struct DecisionRecord: Codable, Sendable, Equatable {
        /// Who decided: "gate" (the gate's own decision, signed in the event).
        public var by: String
        public var kind: String
        public var permitID: String?
        public var reason: String?
        /// Central's permit sequence at the passage time: the last change made before it (nil if none).
        public var permitSeq: Int64?
        public var permits: [PermitState]

        enum CodingKeys: String, CodingKey {
            case by, kind, reason, permits
            case permitID = "permit_id"
            case permitSeq = "permit_seq"
        }
    }

    /// One permit as it stood at the passage time: its latest change made before it.
    public struct PermitState: Codable, Sendable, Equatable {
        /// The change sequence of this state (also `permit.seq`).
        public var seq: Int64
        /// When central recorded that change.
        public var changedAtMilliseconds: Int64?
        public var permit: Permit

        enum CodingKeys: String, CodingKey {
            case seq, permit
            case changedAtMilliseconds = "changed_at_ms"
        }

        public init(seq: Int64, changedAtMilliseconds: Int64?, permit: Permit) {
            self.seq = seq
            self.changedAtMilliseconds = changedAtMilliseconds
            self.permit = permit
        }
    }

    public struct GateRecord: Codable, Sendable, Equatable {
        public var id: String
        /// The gate's Ed25519 public key as registered at central (32 bytes, base64).
        public var signingPublicKey: String

        enum CodingKeys: String, CodingKey {
            case id
            case signingPublicKey = "signing_public_key"
        }
    }

    /// The gate's signature over the event.
    public struct Seal: Codable, Sendable, Equatable {
        /// Exactly `EventSeal.payload` of the event, base64. Its SHA-256 is the event's hash.
        public var payload: String
        /// The gate's Ed25519 signature over the payload bytes, base64 ("" when the event was not signed).
        public var signature: String
        /// What central recorded when it checked the seal on arrival (e.g. "verified").
        public var status: String
        /// SHA-256 of the payload bytes (64 hex): the evidence hash of the sanctions export.
        public var eventHash: String

        enum CodingKeys: String, CodingKey {
            case payload, signature, status
            case eventHash = "event_hash"
        }
    }

    /// The gate's hash chain around the event: neighbours of the same origin, ascending seq.
    public struct Chain: Codable, Sendable, Equatable {
        public var before: [Link]
        public var after: [Link]
    }

    public struct Link: Codable, Sendable, Equatable {
        public var seq: Int64
        /// `EventSeal.payload` of the neighbour, base64; "" when central can no longer rebuild it
        /// (retention forgot the plate of an authorised neighbour): then `hash` and `prev` stand for it.
        public var payload: String
        /// The gate's signature over it, base64 ("" with a withheld payload).
        public var signature: String
        /// A withheld neighbour's hash and `prev` as central recorded them on arrival, after checking
        /// its signature; they rest on central's countersignature, not on the gate's.
        public var hash: String?
        public var prev: String?

        public init(seq: Int64, payload: String, signature: String, hash: String? = nil, prev: String? = nil) {
            self.seq = seq
            self.payload = payload
            self.signature = signature
            self.hash = hash
            self.prev = prev
        }
    }

    public struct Review: Codable, Sendable, Equatable {
        public var atMilliseconds: Int64
        public var at: String
        public var by: String
        public var action: String
        public var reason: String?

        enum CodingKeys: String, CodingKey {
            case at, by, action, reason
            case atMilliseconds = "at_ms"
        }
    }

    /// Who asked central for this bundle, when, and why.
    public struct Issue: Codable, Sendable, Equatable {
        public var by: String
        public var atMilliseconds: Int64
        public var at: String
        public var reason: String
        /// Central's Ed25519 public key (32 bytes, base64) that `manifest.sig` verifies with.
        public var centralPublicKey: String

        enum CodingKeys: String, CodingKey {
            case by, at, reason
            case atMilliseconds = "at_ms"
            case centralPublicKey = "central_public_key"
        }
    }

    public struct File: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String
        public var bytes: Int
    }
}
