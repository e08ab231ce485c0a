import Domain
import Foundation
import Testing
import WireProtocol

@Suite struct WireRangesTests {
    static func code(_ json: String) -> WireError.Code? {
        do { _ = try WireCodec.decodeGateMessage(Array(json.utf8)); return nil } catch { return error.code }
    }

    static func heartbeat(_ field: String, _ value: String) -> String {
        var fields: [String: String] = [
            "permit_seq": "7", "buffer_depth": "3", "buffer_capacity": "100", "oldest_unsent_s": "0.5", "dropped_authorised": "0",
            "recognition_rate": "12.5", "disk_free_bytes": "5000000000", "clock_ms": "1764157200123", "uptime_s": "3600",
            "software": "\"bollard-edge/0.1\"",
        ]
        fields[field] = value
        let health = fields.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        return #"{"v": 1, "type": "heartbeat", "health": {"# + health + "}}"
    }

    static func events(seq: String = "1", atMs: String = "1764157200123") -> String {
        #"{"v": 1, "type": "events", "events": [{"seq": "# + seq + #", "at_ms": "# + atMs + #", "kind": "violation", "confidence": 1}]}"#
    }

    @Test("an ordinary heartbeat and batch are within every range")
    func ordinaryMessagesPass() {
        #expect(Self.code(Self.heartbeat("buffer_depth", "0")) == nil)
        #expect(Self.code(Self.heartbeat("disk_free_bytes", "-1")) == nil)
        #expect(Self.code(Self.events()) == nil)
        #expect(Self.code(Self.events(atMs: "0")) == nil)
    }

    @Test("at_ms of -2^63 or 2^63-1, or a seq past 2^53-1, is invalid, not acknowledged",
        arguments: [("1", "-9223372036854775808"), ("1", "9223372036854775807"), ("1", "4102444800001"), ("9007199254740992", "1764157200123")])
    func eventRanges(seq: String, atMs: String) {
        #expect(Self.code(Self.events(seq: seq, atMs: atMs)) == .invalid)
    }

    @Test("a heartbeat with a value out of range is invalid", arguments: [
        ("buffer_depth", "-5"), ("buffer_capacity", "-1"), ("permit_seq", "-1"), ("dropped_authorised", "-3"),
        ("oldest_unsent_s", "-0.5"), ("uptime_s", "1e300"), ("recognition_rate", "-1"), ("disk_free_bytes", "-2"),
        ("clock_ms", "-1"), ("clock_ms", "9223372036854775807"), ("last_frame_ms", "-7"), ("software", "\"\""),
    ])
    func heartbeatRanges(field: String, value: String) {
        #expect(Self.code(Self.heartbeat(field, value)) == .invalid)
    }

    @Test("a number with a fraction or exponent in an integer field is malformed", arguments: [
        WireRangesTests.heartbeat("buffer_depth", "1.0"), WireRangesTests.heartbeat("clock_ms", "1.7e12"),
        WireRangesTests.events(seq: "1.0"), WireRangesTests.events(atMs: "1764157200123.0"),
        #"{"v": 1, "type": "sync", "from_seq": 3.0}"#, #"{"v": 1.0, "type": "sync", "from_seq": 3}"#,
        #"{"v": 1, "type": "hello", "versions": [1.0], "software": "x", "permit_seq": 0}"#,
    ])
    func fractionsInIntegersAreMalformed(json: String) {
        #expect(Self.code(json) == .malformed)
    }

    @Test("fractions stay legal where the protocol has numbers, and in fields it does not know")
    func fractionsElsewhereStayLegal() {
        #expect(Self.code(Self.heartbeat("uptime_s", "1e3")) == nil)
        #expect(Self.code(#"{"v": 1, "type": "sync", "from_seq": 3, "future": {"seq_ratio": 0.5}, "other": [1.5]}"#) == nil)
        // A string that merely looks like an integer field's key is not one.
        #expect(Self.code(#"{"v": 1, "type": "snapshot", "after_id": "seq", "x": 2.5}"#) == nil)
    }

    @Test("hello and sync fields out of range are invalid", arguments: [
        #"{"v": 1, "type": "sync", "from_seq": -1}"#,
        #"{"v": 1, "type": "hello", "versions": [], "software": "x", "permit_seq": 0}"#,
        #"{"v": 1, "type": "hello", "versions": [1], "software": "x", "permit_seq": -4}"#,
        #"{"v": 1, "type": "hello", "versions": [1], "software": "x", "permit_seq": 0, "gate_id": ""}"#,
        #"{"v": 1, "type": "snapshot", "after_id": ""}"#,
    ])
    func helloAndSyncRanges(json: String) {
        #expect(Self.code(json) == .invalid)
    }

    @Test("a batch over 256 events is too_large before its values are looked at")
    func tooLargeFirst() {
        let one = #"{"seq": 0, "at_ms": -1, "kind": "violation", "confidence": 1}"#
        let json = #"{"v": 1, "type": "events", "events": ["# + Array(repeating: one, count: 257).joined(separator: ",") + "]}"
        #expect(Self.code(json) == .tooLarge)
    }

    @Test("a gate refuses central's sequences and instants out of range")
    func centralRanges() {
        for json in [
            #"{"v": 1, "type": "heartbeat_ack", "head_seq": -1, "server_time_ms": 1764157200123}"#,
            #"{"v": 1, "type": "ack", "seqs": [0]}"#,
            #"{"v": 1, "type": "heartbeat_ack", "head_seq": 1.5, "server_time_ms": 1764157200123}"#,
        ] {
            #expect(throws: WireError.self) { try WireCodec.decodeCentralMessage(Array(json.utf8)) }
        }
    }

    @Test("an unknown type with a line break is escaped in the error, which never carries a raw control character")
    func unknownTypeEscaped() {
        let json = #"{"v": 1, "type": "evil\n2026-11-27 critical forged\u0007"}"#
        #expect {
            try WireCodec.decodeGateMessage(Array(json.utf8))
        } throws: { error in
            let message = (error as? WireError)?.message ?? ""
            return (error as? WireError)?.code == .unknownType && message.contains(#"evil\n2026"#)
                && !message.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }
        #expect(WireCodec.peekType(Array(json.utf8))?.contains("\n") == false)
    }
}

extension WireRangesTests {
    @Test("the checks keep their documented order: version, then type, then fractions, then ranges")
    func checkOrder() {
        #expect(Self.code(#"{"v": 2, "type": "sync", "from_seq": 1.5}"#) == .unsupportedVersion)
        #expect(Self.code(#"{"v": 1, "type": "teleport", "seq": 1.5}"#) == .unknownType)
        #expect(Self.code(#"{"v": 1, "type": "sync", "from_seq": -1.5}"#) == .malformed)
    }
}
