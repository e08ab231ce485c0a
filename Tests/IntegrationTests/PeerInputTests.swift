import BollardSupport
import Foundation
import Testing
import WireProtocol
import ZMQ

/// What an authenticated gate sends is held to its range and escaped before it reaches central's log.
@Suite(.serialized) struct PeerInputTests {
    @Test("central answers out-of-range values with invalid and fractions with malformed, and a forged log line stays one escaped line")
    func peerInputRefusedAndEscaped() throws {
        let cluster = try Cluster()
        // Registered before central starts, so its first look at the keys admits this one.
        try cluster.prepareEdge("gate-r")
        try cluster.startCentral()
        let keys = try KeyFileReader.pair(cluster.edgeData("gate-r") + "/gate.key")
        let central = try KeyFileReader.pair(cluster.centralData + "/central.pub")
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.makeCurveClient(serverPublicKey: central.public, publicKey: keys.public, secretKey: keys.secret!)
        try socket.connect(cluster.endpoint)

        func exchange(_ json: String) throws -> CentralMessage? {
            try socket.send([Array(json.utf8)])
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                if try !ZMQPoller.poll([socket], timeoutMilliseconds: 100)[0].isEmpty, let reply = try socket.receive() {
                    let message = try WireCodec.decodeCentralMessage(reply.frames.last ?? [])
                    if case .changes = message { continue }
                    return message
                }
            }
            return nil
        }
        func errorCode(_ json: String) throws -> WireError.Code? {
            guard case .error(let error, _)? = try exchange(json) else { return nil }
            return error.code
        }

        let forged = "FORGED critical: gate-x opened for 0000XXX"
        let welcome = try exchange(#"{"v": 1, "type": "hello", "versions": [1], "software": "raw", "permit_seq": 0, "gate_id": "x\n"# + forged + #""}"#)
        guard case .welcome? = welcome else {
            Issue.record("no welcome: \(String(describing: welcome)); central log: \(cluster.log(cluster.centralLog))")
            return
        }
        #expect(try errorCode(#"{"v": 1, "type": "teleport\r\n"# + forged + #""}"#) == .unknownType)

        let health = #""buffer_capacity": 10, "oldest_unsent_s": 0, "dropped_authorised": 0, "recognition_rate": 0, "disk_free_bytes": 1, "clock_ms": 1764157200123, "uptime_s": 1, "software": "raw""#
        #expect(try errorCode(#"{"v": 1, "type": "heartbeat", "health": {"permit_seq": 0, "buffer_depth": -5, "# + health + "}}") == .invalid)
        #expect(try errorCode(#"{"v": 1, "type": "heartbeat", "health": {"permit_seq": 0, "buffer_depth": 1.0, "# + health + "}}") == .malformed)
        guard case .heartbeatAck? = try exchange(#"{"v": 1, "type": "heartbeat", "health": {"permit_seq": 0, "buffer_depth": 1, "# + health + "}}") else {
            Issue.record("a good heartbeat got no heartbeat_ack")
            return
        }
        for atMs in ["-9223372036854775808", "9223372036854775807"] {
            #expect(try errorCode(#"{"v": 1, "type": "events", "events": [{"seq": 1, "at_ms": "# + atMs + #", "kind": "violation", "confidence": 1}]}"#) == .invalid)
        }
        #expect(try cluster.centralEventSeqs(gate: "gate-r").isEmpty)

        try cluster.waitUntil("central logged the claim and the unknown type", timeout: 5) {
            let log = cluster.log(cluster.centralLog)
            return log.contains("gate claims another id") && log.contains("teleport")
        }
        let lines = cluster.log(cluster.centralLog).split(whereSeparator: \.isNewline)
        #expect(!lines.contains { $0.hasPrefix("FORGED") })
        #expect(lines.contains { $0.contains(#"x\nFORGED"#) })
        // Escaped by the decoder, then again (as anything that reaches a log line) by the server.
        #expect(lines.contains { $0.contains(#"teleport\\r\\nFORGED"#) }, "\(cluster.log(cluster.centralLog))")
        #expect(cluster.central?.isRunning == true)
    }
}
