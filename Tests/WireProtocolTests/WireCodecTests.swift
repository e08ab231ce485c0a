import Domain
import Foundation
import Testing
import WireProtocol

@Suite struct WireCodecTests {
    static let permit = Permit(
        id: "P0000042", plate: PlateText("1234 BCD")!, profile: .delivery, zones: ["casco-viejo"],
        validFrom: Date(timeIntervalSince1970: 1_764_111_600), validUntil: nil,
        windows: [TimeWindow(days: [.monday, .saturday], start: 7 * 60, end: 11 * 60)], maxStaySeconds: 1800,
        status: .active, holder: "H42", seq: 1187)

    static let health = GateHealth(
        permitSeq: 1187, bufferDepth: 3, bufferCapacity: 100_000, oldestUnsentSeconds: 0.5, droppedAuthorised: 0,
        lastFrameMilliseconds: nil, recognitionRate: 12.5, diskFreeBytes: 5_000_000_000, clockMilliseconds: 1_764_157_200_123,
        uptimeSeconds: 3600, software: "bollard-edge/0.1")

    static let event = Event(
        seq: 311, atMilliseconds: 1_764_157_200_123, kind: .review, plate: "1234BCD", confidence: 0.8,
        permitID: nil, reason: "confusion_match", candidates: ["P1", "P2"])

    static let gateMessages: [GateMessage] = [
        .hello(.init(software: "bollard-edge/0.1", permitSeq: 7, gateID: "gate-07")),
        .sync(fromSeq: 12),
        .snapshot(afterID: nil),
        .snapshot(afterID: "P0000100"),
        .events([event]),
        .hello(.init(software: "bollard-edge/0.1", permitSeq: 7, gateID: "gate-07", origin: "0f6e2c1a-3b7d-4e59-9a1c-5d2b8e7f4a10")),
        .events([event], origin: "0f6e2c1a-3b7d-4e59-9a1c-5d2b8e7f4a10"),
        .heartbeat(health),
        .heartbeat({
            var reported = health
            reported.dropped = .init(authorised: 3, exit: 1, violation: 0, review: 2)
            return reported
        }()),
    ]

    static let centralMessages: [CentralMessage] = [
        .welcome(.init(version: 1, gate: Gate(id: "gate-07", zone: "casco-viejo", direction: .exit), headSeq: 99, holidays: ["2026-12-25"], serverTimeMilliseconds: 5)),
        .welcome(.init(
            version: 1, gate: Gate(id: "gate-07", zone: "casco-viejo", direction: .exit), headSeq: 99, holidays: [], serverTimeMilliseconds: 5,
            lastEventSeq: 311)),
        .changes(.init(permits: [permit], headSeq: 1187)),
        .snapshotRequired(headSeq: 1187),
        .snapshotPage(.init(baseSeq: 1187, permits: [permit], nextAfter: nil)),
        .ack(seqs: [1, 2, 3]),
        .heartbeatAck(headSeq: 5, serverTimeMilliseconds: 1_764_157_200_123),
        .error(WireError(.tooLarge, "too big"), inReplyTo: "events"),
    ]

    @Test(arguments: gateMessages)
    func gateMessagesRoundTrip(_ message: GateMessage) throws {
        #expect(try WireCodec.decodeGateMessage(WireCodec.encode(message)) == message)
    }

    @Test(arguments: centralMessages)
    func centralMessagesRoundTrip(_ message: CentralMessage) throws {
        #expect(try WireCodec.decodeCentralMessage(WireCodec.encode(message)) == message)
    }

    @Test("revision 3 fields are optional: a revision 2 message decodes without them, and they are sent only when set")
    func revisionThreeFieldsAreOptional() throws {
        let hello = #"{"v": 1, "type": "hello", "versions": [1], "software": "py", "permit_seq": 0, "gate_id": "g"}"#
        guard case .hello(let decoded) = try WireCodec.decodeGateMessage(Array(hello.utf8)) else {
            Issue.record("not a hello")
            return
        }
        #expect(decoded.origin == nil)
        let welcome = String(decoding: WireCodec.encode(Self.centralMessages[0]), as: UTF8.self)
        #expect(!welcome.contains("last_event_seq"))
        let events = String(decoding: WireCodec.encode(GateMessage.events([Self.event])), as: UTF8.self)
        #expect(!events.contains("origin"))
        let heartbeat = String(decoding: WireCodec.encode(GateMessage.heartbeat(Self.health)), as: UTF8.self)
        #expect(!heartbeat.contains("\"dropped\""))
    }

    @Test("an origin is at most 64 of A-Z, a-z, 0-9 and '-'")
    func originAlphabet() {
        #expect(Event.problem(inOrigin: "") == nil)
        #expect(Event.problem(inOrigin: "0f6e2c1a-3b7d-4e59-9a1c-5d2b8e7f4a10") == nil)
        #expect(Event.problem(inOrigin: "a\nb") != nil)
        #expect(Event.problem(inOrigin: "../x") != nil)
        #expect(Event.problem(inOrigin: String(repeating: "a", count: 65)) != nil)
    }

    /// The examples of docs/protocol.md, written by hand, decode as documented.
    @Test func documentedExamplesDecode() throws {
        let frame = """
            {"v": 1, "type": "events", "events": [{"seq": 311, "at_ms": 1764157200123, "kind": "violation",
             "plate": "9876XYZ", "confidence": 0.97, "permit_id": "P0000007", "reason": "expired", "candidates": null,
             "future_field": true}]}
            """
        guard case .events(let events, let origin) = try WireCodec.decodeGateMessage(Array(frame.utf8)), origin == nil else {
            Issue.record("not an events message")
            return
        }
        #expect(events == [Event(seq: 311, atMilliseconds: 1_764_157_200_123, kind: .violation, plate: "9876XYZ", confidence: 0.97, permitID: "P0000007", reason: "expired")])

        let changes = """
            {"v": 1, "type": "changes", "head_seq": 1187, "permits": [{
              "id": "P0000042", "plate": "1234BCD", "profile": "delivery",
              "zones": ["casco-viejo"], "valid_from_ms": 1764111600000, "valid_until_ms": null,
              "windows": [{"days": ["mon","sat"], "from": "07:00", "to": "11:00", "holidays": false}],
              "max_stay_s": 1800, "status": "active", "holder": "H42", "seq": 1187}]}
            """
        #expect(try WireCodec.decodeCentralMessage(Array(changes.utf8)) == .changes(.init(permits: [Self.permit], headSeq: 1187)))
    }

    @Test func encodedFramesCarryVersionAndType() throws {
        let object = try JSONSerialization.jsonObject(with: Data(WireCodec.encode(GateMessage.sync(fromSeq: 3)))) as? [String: Any]
        #expect(object?["v"] as? Int == 1)
        #expect(object?["type"] as? String == "sync")
        #expect(object?["from_seq"] as? Int == 3)
    }

    @Test(arguments: [
        ("", WireError.Code.malformed),
        ("not json", .malformed),
        ("[1,2]", .malformed),
        ("{\"type\": \"sync\"}", .malformed),
        ("{\"v\": \"1\", \"type\": \"sync\", \"from_seq\": 1}", .malformed),
        ("{\"v\": 2, \"type\": \"sync\", \"from_seq\": 1}", .unsupportedVersion),
        ("{\"v\": 1, \"type\": \"teleport\"}", .unknownType),
        ("{\"v\": 1, \"type\": \"sync\"}", .malformed),
        ("{\"v\": 1, \"type\": \"sync\", \"from_seq\": \"x\"}", .malformed),
        ("{\"v\": 1, \"type\": \"events\", \"events\": [{\"seq\": 1}]}", .malformed),
        ("{\"v\": 1, \"type\": \"heartbeat\", \"health\": {}}", .malformed),
        ("{\"v\": 1, \"type\": \"events\", \"events\": [{\"seq\": 1, \"at_ms\": 1, \"kind\": \"party\", \"confidence\": 1}]}", .malformed),
    ])
    func badFramesGiveTheRightError(_ frame: String, _ code: WireError.Code) {
        #expect(throws: WireError.self) { try WireCodec.decodeGateMessage(Array(frame.utf8)) }
        do {
            _ = try WireCodec.decodeGateMessage(Array(frame.utf8))
        } catch {
            #expect(error.code == code, "\(frame): \(error)")
        }
    }

    @Test func oversizedFrameIsRefusedBeforeParsing() {
        let frame = [UInt8](repeating: 0x20, count: ProtocolVersion.maxFrameBytes + 1)
        #expect(throws: WireError(.tooLarge, "frame of \(frame.count) bytes exceeds \(ProtocolVersion.maxFrameBytes)")) {
            try WireCodec.decodeGateMessage(frame)
        }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let frame = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: WireError.self) { try WireCodec.decodeGateMessage(frame) }
        }
    }

    @Test func versionNegotiationPicksHighestCommon() {
        #expect(ProtocolVersion.negotiate([1, 2, 3]) == 1)
        #expect(ProtocolVersion.negotiate([2, 3]) == nil)
    }

    @Test func eventFromDecisionCarriesReasons() {
        let read = PlateRead(text: "12-34 bcd", confidence: 0.97, at: Date(timeIntervalSince1970: 10))
        let violation = Event(seq: 1, read: read, decision: .notAuthorised(permitID: "P9", validity: .expired))
        #expect(violation.kind == .violation)
        #expect(violation.plate == "1234BCD")
        #expect(violation.reason == "expired")
        #expect(violation.atMilliseconds == 10_000)
        let review = Event(seq: 2, read: read, decision: .needsReview(.confusionMatch(permitIDs: ["A", "B"])))
        #expect(review.kind == .review && review.reason == "confusion_match" && review.candidates == ["A", "B"])
    }

    @Test("revision 5: an event carries its read's source; absent or unknown reads as unknown, which may not become a fine")
    func eventSource() throws {
        let read = PlateRead(text: "1234BCD", confidence: 0.97, at: Date(timeIntervalSince1970: 10), source: .injected)
        let event = Event(seq: 1, read: read, decision: .notAuthorised(permitID: nil, validity: nil))
        #expect(event.source == "injected" && event.readSource == .injected)
        let frame = WireCodec.encode(GateMessage.events([event]))
        #expect(String(decoding: frame, as: UTF8.self).contains("\"source\":\"injected\""))
        guard case .events(let decoded, _) = try WireCodec.decodeGateMessage(frame) else { Issue.record("not events"); return }
        #expect(decoded.first?.source == "injected")
        // A revision-4 event: no field at all; and a source this build does not know.
        let old = Event(seq: 1, read: PlateRead(text: "1234BCD", confidence: 0.97, at: Date()), decision: .exitRecorded)
        #expect(old.source == nil && !String(decoding: WireCodec.encode(GateMessage.events([old])), as: UTF8.self).contains("source"))
        #expect(ReadSource(wire: nil) == .unknown && ReadSource(wire: "drone") == .unknown)
        #expect(ReadSource.allCases.filter(\.mayBecomeFine) == [.camera, .video])
    }
}

@Suite struct EventBatchValidationTests {
    static func event(_ seq: Int64, plate: String? = "1234BCD", confidence: Double = 0.9, source: String? = nil) -> Event {
        Event(seq: seq, atMilliseconds: 1, kind: .violation, plate: plate, confidence: confidence, source: source)
    }

    @Test func aGoodBatchPasses() {
        #expect(Event.problem(inBatch: [Self.event(1), Self.event(2), Self.event(7, plate: nil)]) == nil)
    }

    @Test(arguments: [
        ([Event](), "at least one"),
        ([event(0)], "strictly increasing"),
        ([event(2), event(2)], "strictly increasing"),
        ([event(3), event(1)], "strictly increasing"),
        ([event(1, confidence: 7)], "confidence"),
        ([event(1, confidence: .nan)], "confidence"),
        ([event(1, plate: "12 ab-c")], "normalised"),
        ([event(1, plate: "A")], "normalised"),
        ([event(1, plate: "ABCDEFGHIJKLMNOP")], "normalised"),
        ([event(1, source: "")], "source"),
        ([event(1, source: "Camera")], "source"),
        ([event(1, source: String(repeating: "a", count: 21))], "source"),
    ])
    func badBatchesAreNamed(_ batch: [Event], _ expected: String) {
        #expect(Event.problem(inBatch: batch)?.contains(expected) == true)
    }

    @Test func unsupportedVersionErrorsListVersions() throws {
        let frame = WireCodec.encode(CentralMessage.error(WireError(.unsupportedVersion, "no"), inReplyTo: "hello"))
        let object = try JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any]
        #expect(object?["versions"] as? [Int] == ProtocolVersion.supported)
    }

    @Test("per-character confidences travel as chars, survive the stored row, and are bounded: 1-16 values within 0...1")
    func characterConfidences() throws {
        let event = Event(
            seq: 1, atMilliseconds: 1_800_000_000_000, kind: .review, plate: "1234BCD", confidence: 0.6, reason: "low_confidence",
            source: "camera", characterConfidences: [0.99, 0.98, 0.97, 0.42, 0.95, 0.96, 0.9])
        let json = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        #expect(json.contains("\"chars\":[0.99"))
        #expect(try JSONDecoder().decode(Event.self, from: Data(json.utf8)).characterConfidences == event.characterConfidences)
        #expect(EventRow(event).event.characterConfidences == event.characterConfidences)
        #expect(Event.problem(inBatch: [event]) == nil)
        var tooMany = event
        tooMany.characterConfidences = Array(repeating: 0.5, count: 17)
        #expect(Event.problem(inBatch: [tooMany])?.contains("chars") == true)
        var outOfRange = event
        outOfRange.characterConfidences = [0.5, 1.5]
        #expect(Event.problem(inBatch: [outOfRange])?.contains("chars") == true)
        var empty = event
        empty.characterConfidences = []
        #expect(Event.problem(inBatch: [empty])?.contains("chars") == true)
    }
}
