import EdgeCore
import Testing
import ZMQ

@Suite struct ConnectionDiagnosisUnitTests {
    func event(_ kind: ZMQSocketEvents, _ value: UInt32 = 0) -> ZMQMonitorEvent {
        ZMQMonitorEvent(kind: kind, value: value, endpoint: "tcp://127.0.0.1:7700")
    }

    func verdict(_ events: [ZMQMonitorEvent], admittedBefore: Bool = false) -> ConnectionDiagnosis.Verdict? {
        var diagnosis = ConnectionDiagnosis()
        for event in events { diagnosis.note(event, admittedBefore: admittedBefore, revokedBefore: false) }
        return diagnosis.verdict
    }

    @Test("retries with no TCP connection mean nothing listens; a connection whose handshake fails is a refused handshake")
    func tcpVersusHandshake() {
        #expect(verdict([event(.connectRetried, 100)]) == .nothingListening)
        #expect(verdict([event(.connected), event(.handshakeFailedNoDetail), event(.disconnected), event(.connectRetried)]) == .handshakeRefused)
        #expect(verdict([event(.connected), event(.disconnected)]) == .handshakeRefused)
        #expect(verdict([event(.connected), event(.handshakeSucceeded)]) == nil)
        #expect(verdict([event(.connectRetried), event(.connected), event(.handshakeSucceeded)]) == nil, "a success clears it")
    }

    @Test("ZAP's refusal is 'not registered', or 'revoked' for a key central admitted before")
    func zapRefusal() {
        #expect(verdict([event(.connected), event(.handshakeFailedAuth, 400)]) == .notAdmitted(status: 400))
        #expect(verdict([event(.connected), event(.handshakeFailedAuth, 400)], admittedBefore: true) == .revoked)
        var diagnosis = ConnectionDiagnosis()
        diagnosis.noteRevoked()
        #expect(diagnosis.verdict == .revoked)
    }
}
