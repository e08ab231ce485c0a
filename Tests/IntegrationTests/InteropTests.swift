import Foundation
import GRDB
import Testing

/// A gate written in Python from docs/protocol.md alone (Tests/Interop/gate_client.py)
/// must interoperate with the real central: the document is the contract.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct InteropTests {
    @Test("an independent Python gate written from docs/protocol.md interoperates with central and receives exactly the 30 permits central was given")
    func pythonGateFromTheDocument() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate")
        var given: [String: String] = [:]
        for number in 0..<30 {
            given["I-\(number)"] = String(format: "%04dBCD", number)
            _ = try cluster.centralCLI(["permits", "add", "--id", "I-\(number)", "--plate", String(format: "%04d BCD", number)])
        }
        let expected = cluster.root.appendingPathComponent("expected-permits.json")
        try JSONSerialization.data(withJSONObject: given).write(to: expected)
        try cluster.startCentral()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/gate_client.py").path
        let (status, output) = try Cluster.runToEnd("/usr/bin/python3", [
            script, "--endpoint", cluster.endpoint, "--central-key", cluster.centralData + "/central.pub",
            "--gate-key", cluster.edgeData("gate") + "/gate.key", "--gate-id", "gate", "--zone", "casco-viejo", "--events", "300",
            "--expect-permits", expected.path,
        ])
        #expect(status == 0, "python gate failed:\n\(output)")
        #expect(output.contains("0 failed"))
        #expect(output.contains("ok: holds exactly the 30 permits central was given"), "the permit check must run:\n\(output)")
        #expect(try cluster.centralEventSeqs(gate: "gate") == Array(1...300))
        // Revision 4: the Python gate sealed every event (key pinned at its hello) and sent one image.
        #expect(output.contains("-> evidence_ack complete"), "the evidence check must run:\n\(output)")
        try cluster.centralDatabase().read { db in
            let seals = try String.fetchAll(db, sql: "SELECT seal FROM event_seals WHERE gate_id = 'gate' ORDER BY seq")
            #expect(seals.count == 300 && seals.allSatisfy { $0 == "valid" }, "seals: \(Set(seals))")
            // Revision 5: the even events said their source (and signed it); the odd ones did not.
            let sources = try String.fetchAll(db, sql: "SELECT coalesce(source, '-') FROM events WHERE gate_id = 'gate' ORDER BY seq")
            #expect(sources.count == 300 && sources.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 1 ? "camera" : "-") }, "\(Set(sources))")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_images WHERE gate_id = 'gate'") == 1)
        }
    }
}
