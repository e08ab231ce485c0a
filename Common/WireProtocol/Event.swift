import Domain

/// One passage decision, as a gate records it and uploads it.
///
/// `(gate, origin, seq)` identifies an event, where `origin` is the identity
/// of the gate database that numbered it: central stores each triple once,
/// which makes retries after a crash of either side harmless, and a gate
/// whose database was replaced starts a new origin instead of colliding.
public struct Event: Codable, Sendable, Hashable {
    /// Per-gate sequence, 1, 2, 3…, assigned when the gate commits the event.
    public var seq: Int64
    /// When the vehicle passed, Unix milliseconds.
    public var atMilliseconds: Int64
    public var kind: DecisionKind
    /// Normalised plate text; nil when the read was unreadable.
    public var plate: String?
    public var confidence: Double
    /// The permit that authorised the passage, or the one found but not valid.
    public var permitID: String?
    /// Why: a `PermitValidity` raw value for violations, a `ReviewReason` code for reviews.
    public var reason: String?
    /// Permit ids a confusion match points at (reviews only).
    public var candidates: [String]?
    /// Revision 4: the images kept as evidence (violations and reviews of the
    /// camera path), by hash; their bytes follow in `evidence` messages.
    public var images: [EventImageDigest]?
    /// Revision 4: the hash of the previous event of the same origin
    /// (`EventSeal`), 64 zeros for the first, so a deleted or reordered event shows.
    public var previousHash: String?
    /// Revision 4: the gate's Ed25519 signature over `EventSeal.payload`, base64.
    public var signature: String?
    /// Revision 5: where the read came from (`ReadSource` raw value); absent from
    /// older gates, which reads as `unknown` and never becomes a fine.
    public var source: String?

    /// Revision 5: the recogniser's confidence in each character of `plate` (camera path), so a
    /// reviewer sees which character is doubtful. Advisory: not part of the seal.
    public var characterConfidences: [Double]?

    /// The source as central judges it: absent or unrecognised is `unknown`.
    public var readSource: ReadSource { ReadSource(wire: source) }

    public init(
        seq: Int64, atMilliseconds: Int64, kind: DecisionKind, plate: String?, confidence: Double,
        permitID: String? = nil, reason: String? = nil, candidates: [String]? = nil,
        images: [EventImageDigest]? = nil, previousHash: String? = nil, signature: String? = nil, source: String? = nil,
        characterConfidences: [Double]? = nil
    ) {
        self.seq = seq
        self.atMilliseconds = atMilliseconds
        self.kind = kind
        self.plate = plate
        self.confidence = confidence
        self.permitID = permitID
        self.reason = reason
        self.candidates = candidates
        self.images = images
        self.previousHash = previousHash
        self.signature = signature
        self.source = source
        self.characterConfidences = characterConfidences
    }

    enum CodingKeys: String, CodingKey {
        case seq, kind, plate, confidence, reason, candidates, images, source
        case characterConfidences = "chars"
        case atMilliseconds = "at_ms"
        case permitID = "permit_id"
        case previousHash = "prev"
        case signature = "sig"
    }
}

extension Event {
    /// Why a batch of events is not acceptable, or nil when it is
    /// (docs/protocol.md §3.3): 1…256 events with strictly increasing sequences
    /// within 1…2^53−1, instants within 1970…2100, confidences within 0…1,
    /// normalised plates, bounded strings.
    public static func problem(inBatch events: [Event]) -> String? {
        guard !events.isEmpty else { return "a batch holds at least one event" }
        var previous: Int64 = 0
        for event in events {
            guard event.seq > previous else { return "event seqs must be positive and strictly increasing within a batch" }
            guard event.seq <= InputLimits.largestInteger else { return "event seq must be at most \(InputLimits.largestInteger)" }
            previous = event.seq
            if let problem = WireRanges.problem(event.atMilliseconds, in: WireRanges.instantMilliseconds, "event \(event.seq): at_ms") {
                return problem
            }
            guard event.confidence.isFinite, (0...1).contains(event.confidence) else { return "event \(event.seq): confidence must be within 0...1" }
            if let plate = event.plate, PlateText(plate)?.normalized != plate {
                return "event \(event.seq): plate must be normalised (2-10 of A-Z, 0-9)"
            }
            if let source = event.source, source.isEmpty || source.utf8.count > 20 || !source.utf8.allSatisfy({ (97...122).contains($0) || $0 == 95 }) {
                return "event \(event.seq): source must be 1-20 of a-z and '_'"
            }
            if let chars = event.characterConfidences,
                chars.isEmpty || chars.count > 16 || !chars.allSatisfy({ $0.isFinite && (0...1).contains($0) })
            {
                return "event \(event.seq): chars must hold 1-16 confidences within 0...1"
            }
            if let reason = event.reason, reason.count > 40 { return "event \(event.seq): reason longer than 40 characters" }
            if let permitID = event.permitID, permitID.isEmpty || permitID.count > 64 { return "event \(event.seq): permit_id must be 1-64 characters" }
            if let candidates = event.candidates, candidates.count > 16 || candidates.contains(where: { $0.isEmpty || $0.count > 64 }) {
                return "event \(event.seq): at most 16 candidates of 1-64 characters"
            }
            // The signed payload is one `key=value` line per field: no control characters, no commas in lists.
            let texts = [event.permitID, event.reason].compactMap { $0 } + (event.candidates ?? [])
            if texts.contains(where: { $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) {
                return "event \(event.seq): permit_id, reason and candidates must not hold control characters"
            }
            if let candidates = event.candidates, candidates.contains(where: { $0.contains(",") }) {
                return "event \(event.seq): candidates must not hold commas"
            }
            if let problem = problem(inSealOf: event) { return "event \(event.seq): \(problem)" }
        }
        return nil
    }

    /// Why the revision-4 fields of an event are not acceptable, or nil.
    static func problem(inSealOf event: Event) -> String? {
        func isHex64(_ text: String) -> Bool {
            text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        }
        if let previous = event.previousHash, !isHex64(previous) { return "prev must be 64 lowercase hex digits" }
        if let signature = event.signature, signature.utf8.count != 88 { return "sig must be 64 bytes in base64 (88 characters)" }
        if let images = event.images {
            guard images.count <= 4 else { return "at most 4 images" }
            guard Set(images.map(\.role)).count == images.count else { return "image roles must be distinct" }
            for image in images {
                guard ["frame", "crop"].contains(image.role) else { return "image role must be frame or crop" }
                guard isHex64(image.sha256) else { return "image sha256 must be 64 lowercase hex digits" }
                guard (1...EventImageDigest.largestImage).contains(image.bytes) else {
                    return "image bytes must be within 1...\(EventImageDigest.largestImage)"
                }
            }
        }
        return nil
    }

    /// Why an origin (a gate database's identity) is not acceptable, or nil
    /// when it is (docs/protocol.md §3.3): at most 64 of A–Z, a–z, 0–9 and "-".
    public static func problem(inOrigin origin: String) -> String? {
        let allowed = origin.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        }
        return allowed && origin.utf8.count <= 64 ? nil : "origin must be at most 64 of A-Z, a-z, 0-9 and '-'"
    }

    /// The event a decision produces; plate text kept as normalised.
    public init(seq: Int64, read: PlateRead, decision: Decision) {
        let plate = PlateText(read.text)?.normalized
        var permitID: String?
        var reason: String?
        var candidates: [String]?
        switch decision {
        case .authorised(let id):
            permitID = id
        case .exitRecorded:
            break
        case .notAuthorised(let id, let validity):
            permitID = id
            reason = validity?.rawValue
        case .needsReview(let why):
            reason = why.code
            if case .confusionMatch(let ids) = why { candidates = ids }
        }
        self.init(
            seq: seq, atMilliseconds: Int64((read.at.timeIntervalSince1970 * 1000).rounded()),
            kind: decision.kind, plate: plate, confidence: read.confidence,
            permitID: permitID, reason: reason, candidates: candidates, source: read.source.wireValue,
            characterConfidences: read.characterConfidences.map { $0.map { min(max($0, 0), 1) } }.flatMap { (1...16).contains($0.count) ? $0 : nil })
    }
}
