@testable import CentralCore
import Foundation
import GRDB
import Testing

/// `bollard-central violations export|evidence` and `keys show-signing`, run as the binaries.
@Suite struct ViolationsCLITests {
    @Test("export prints the day's violations as CSV and JSON, --out writes a private file, and a bundle's countersignature checks with the printed key")
    func exportAndEvidence() throws {
        let cluster = try Cluster()
        let keyText = try cluster.centralCLI(["keys", "show-signing"])
        #expect(keyText.contains("signing-public-key = \""))
        let keyFile = cluster.root.appendingPathComponent("central-signing.pub").path
        try keyText.write(toFile: keyFile, atomically: true, encoding: .utf8)

        // Opening the store creates it; then a violation as a gate would have uploaded it (2026-11-18 12:06:40 Madrid).
        _ = try cluster.centralCLI(["violations", "export", "--day", "2026-11-18"])
        let queue = try cluster.centralDatabase()
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO events (gate_id, origin, seq, at_ms, kind, plate, confidence, permit_id, reason, candidates, received_ms, source)
                VALUES ('porticos-01', 'db-1', 7, 1795000000000, 'violation', '1234BCD', 0.9, NULL, 'no_permit', NULL, 0, 'camera');
                INSERT INTO case_states (gate_id, origin, seq, state, updated_ms) VALUES ('porticos-01', 'db-1', 7, 'confirmed', 0);
                INSERT INTO case_actions (gate_id, origin, seq, action, plate, reason, outcome, actor, role, at_ms)
                VALUES ('porticos-01', 'db-1', 7, 'confirm', NULL, NULL, 'violation (no permit)', 'ana', 'operator', 0);
                """)
        }

        let csv = try cluster.centralCLI(["violations", "export", "--day", "2026-11-18"]).split(separator: "\n")
        #expect(csv.count == 2)
        #expect(csv.last?.hasPrefix("porticos-01~db-1~7,2026-11-18T12:06:40.000+01:00,porticos-01,1234BCD,violation,,no_permit,violation (no permit),ana,") == true)
        let json = try cluster.centralCLI(["violations", "export", "--day", "2026-11-18", "--format", "json"])
        #expect(json.contains("\"evidence_sha256\""))
        let out = cluster.root.appendingPathComponent("batch.csv").path
        _ = try cluster.centralCLI(["violations", "export", "--day", "2026-11-18", "--out", out])
        #expect(PrivateFilesTests.mode(out) == 0o600)
        #expect(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count == 2)
        #expect(try cluster.run("bollard-central", ["violations", "export", "--day", "2026-02-30", "--data-dir", cluster.centralData]).status != 0)

        let bundle = cluster.root.appendingPathComponent("bundle.zip").path
        _ = try cluster.centralCLI(["violations", "evidence", "porticos-01~db-1~7", "--reason", "expediente 1", "--by", "agente 12", "--out", bundle])
        let verify = try cluster.run("bollardctl", ["evidence", "verify", bundle, "--central-key", keyFile])
        #expect(verify.output.contains("ok    manifest.sig verifies with the central key given"), "\(verify.output)")
        #expect(verify.output.contains("ok    the manifest's event fields are exactly the signed payload"))
        #expect(csv.last?.hasSuffix(verify.output.split(separator: "\n").first { $0.hasPrefix("event hash") }?.split(separator: " ").last ?? "-") == true)
    }
}
