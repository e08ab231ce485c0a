import EdgeCore
import Foundation
import Testing
import WireProtocol

/// Evidence upload in the gate's sync state machine: never while an event
/// batch is in flight, one chunk at a time, paced, answers handed on.
@Suite struct EvidenceSyncTests {
    typealias Machine = GateSyncStateMachine
    let start = ContinuousClock.now
    let wall: Int64 = 1_764_157_200_000

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    func connected() -> Machine {
        var m = Machine(configuration: .init(heartbeatInterval: .seconds(1)), held: 0, now: start)
        _ = m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall), now: at(0), wallClockMilliseconds: wall)
        return m
    }

    @Test("evidence is offered only while no event batch is in flight, and one chunk waits for its answer or a timeout")
    func evidenceBetweenBatches() {
        var m = connected()
        #expect(m.tick(now: at(0.01)).contains(.uploadEvidence))
        m.batchSent([1, 2], now: at(0.02))
        #expect(!m.tick(now: at(0.1)).contains(.uploadEvidence))
        _ = m.received(.ack(seqs: [1, 2]), now: at(0.2), wallClockMilliseconds: wall)
        #expect(m.tick(now: at(0.21)).contains(.uploadEvidence))
        m.evidenceSent(now: at(0.22))
        // In flight: not again until answered, or after the evidence timeout.
        #expect(!m.tick(now: at(0.5)).contains(.uploadEvidence))
        _ = m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall), now: at(10.25), wallClockMilliseconds: wall)
        #expect(m.tick(now: at(10.3)).contains(.uploadEvidence))
    }

    @Test("an evidence_ack is handed on, and the next chunk follows after the pacing interval")
    func answersHandedOn() {
        var m = connected()
        m.evidenceSent(now: at(0.01))
        let ack = EvidenceAck(origin: "o", seq: 3, role: "frame", nextOffset: 262_144, complete: false)
        #expect(m.received(.evidenceAck(ack), now: at(0.02), wallClockMilliseconds: wall) == [.evidenceAnswered(ack)])
        #expect(!m.tick(now: at(0.03)).contains(.uploadEvidence))
        #expect(m.tick(now: at(0.07)).contains(.uploadEvidence))
    }

    @Test("central refusing an evidence chunk as invalid drops that image instead of resending it forever")
    func refusedChunk() {
        var m = connected()
        m.evidenceSent(now: at(0.01))
        let actions = m.received(.error(WireError(.invalid, "role must be frame or crop"), inReplyTo: "evidence"), now: at(0.02), wallClockMilliseconds: wall)
        #expect(actions == [.evidenceRefused("invalid: role must be frame or crop")])
    }

    @Test("a central that does not know evidence (revision 3) or cannot store it now keeps the gate's images, and the gate tries again later")
    func olderCentralKeepsImages() {
        var m = connected()
        m.evidenceSent(now: at(0.01))
        let actions = m.received(
            .error(WireError(.unknownType, "unknown message type 'evidence'"), inReplyTo: "evidence"), now: at(0.02), wallClockMilliseconds: wall)
        #expect(actions.isEmpty)
        #expect(!m.tick(now: at(1)).contains(.uploadEvidence))
        _ = m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall), now: at(60.5), wallClockMilliseconds: wall)
        #expect(m.tick(now: at(60.6)).contains(.uploadEvidence))
    }

    @Test("evidence messages keep their documented field names and stay under the frame limit at the largest chunk")
    func wireShape() throws {
        let chunk = EvidenceChunk(
            origin: "db-1", seq: 7, role: "crop", sha256: String(repeating: "a", count: 64), totalBytes: 300_000, offset: 0,
            data: Data(repeating: 0xAB, count: ProtocolVersion.maxEvidenceChunkBytes))
        let frame = WireCodec.encode(GateMessage.evidence(chunk))
        #expect(frame.count < ProtocolVersion.maxFrameBytes)
        let json = String(decoding: frame, as: UTF8.self)
        for key in ["\"type\":\"evidence\"", "\"origin\":\"db-1\"", "\"seq\":7", "\"role\":\"crop\"", "\"total_bytes\":300000", "\"offset\":0", "\"data\":\"q6ur"] {
            #expect(json.contains(key), "missing \(key)")
        }
        #expect(try WireCodec.decodeGateMessage(frame) == .evidence(chunk))
        let ack = CentralMessage.evidenceAck(EvidenceAck(origin: "db-1", seq: 7, role: "crop", nextOffset: 5, complete: false, error: "x"))
        let ackJSON = String(decoding: WireCodec.encode(ack), as: UTF8.self)
        #expect(ackJSON.contains("\"type\":\"evidence_ack\"") && ackJSON.contains("\"next_offset\":5") && ackJSON.contains("\"complete\":false"))
        #expect(try WireCodec.decodeCentralMessage(WireCodec.encode(ack)) == ack)
        // Out of range: refused at decoding, not stored.
        var bad = chunk
        bad.offset = 299_999
        #expect(throws: WireError.self) { try WireCodec.decodeGateMessage(WireCodec.encode(GateMessage.evidence(bad))) }
    }
}
