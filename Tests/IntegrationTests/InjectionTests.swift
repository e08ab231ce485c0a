import Domain
@testable import CentralCore
import Foundation
import GRDB
import Testing
import WireProtocol

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Injected reads (`bollardctl inject`) are for commissioning: a gate takes
/// them only when its configuration allows it, and central never makes them fines.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct InjectionTests {
    /// A plate nobody holds a permit for.
    static let plate = "4821KTV"

    @Test("a gate whose configuration does not allow injection refuses it, says how to allow it, decides nothing and logs the caller's uid")
    func refusedWhileDisabled() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a", allowInjection: false)

        let reply = try cluster.ask("gate-a", .inject(plate: Self.plate, confidence: 0.99))
        #expect(!reply.ok && reply.decision == nil && reply.eventSeq == nil)
        #expect(reply.error?.contains("allow_injection = true") == true, "\(reply.error ?? "")")
        // bollardctl says the same, and fails.
        let ctl = try cluster.run("bollardctl", ["inject", Self.plate, "--socket", cluster.edgeSocket("gate-a")])
        #expect(ctl.status != 0 && ctl.output.contains("injection is disabled"), "\(ctl.output)")
        #expect(try cluster.edgeLastAssignedSeq("gate-a") == 0, "nothing was decided")
        let log = cluster.log(cluster.edgeData("gate-a") + ".log")
        #expect(log.contains("injection refused") && log.contains("peer.uid=\(getuid())"), "\(log.suffix(800))")
    }

    @Test("an injected violation reaches central marked injected: its confirmation is refused and it never appears in the sanctions export, even when confirmed behind the review queue's back")
    func injectedViolationNeverFines() throws {
        let cluster = try Cluster()
        let httpPort = try Cluster.freePort()
        try cluster.startCentral(extra: ["--http", "127.0.0.1:\(httpPort)"])
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")
        try cluster.waitUntil("gate connected", timeout: 20) { try cluster.edgeStatus("gate-a").connected }

        let injected = try cluster.inject("gate-a", Self.plate)
        #expect(injected.decision == .violation)
        let seq = try #require(injected.eventSeq)
        let log = cluster.log(cluster.edgeData("gate-a") + ".log")
        #expect(log.contains("read injected") && log.contains("peer.uid=\(getuid())"), "each injection is logged with the caller's uid")
        #expect(!log.contains(Self.plate), "no plate text at info level")

        // Central holds it, marked injected.
        var origin = ""
        try cluster.waitUntil("central holds the injected violation", timeout: 15) {
            try cluster.centralDatabase().read { db in
                guard let row = try StoreRow.fetchOne(db, sql: "SELECT origin, source FROM events WHERE gate_id = 'gate-a' AND seq = ?", arguments: [seq])
                else { return false }
                origin = row["origin"]
                return (row["source"] as String?) == "injected"
            }
        }
        let caseID = "gate-a~\(origin)~\(seq)"

        // The API shows the source, and refuses to confirm it.
        let token = try cluster.centralCLI(["tokens", "create", "--role", "operator", "--name", "ana"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let base = "http://127.0.0.1:\(httpPort)/api/v1/violations/\(caseID)"
        let detail = try Self.http("GET", base, token: token)
        #expect(detail.status == 200 && detail.body.contains("\"source\":\"injected\""), "\(detail)")
        let confirm = try Self.http("POST", base + "/confirm", token: token, body: "{}")
        #expect(confirm.status == 409, "\(confirm)")
        #expect(confirm.body.contains("injected by a technician") && confirm.body.contains("cannot become a fine"), "\(confirm.body)")
        let after = try Self.http("GET", base, token: token)
        #expect(after.body.contains("\"state\":\"open\""), "the refused confirmation changed nothing: \(after.body)")

        // Even a confirmation written straight into the database does not make it a sanction.
        let day = MadridTime.local(Date()).date.description
        cluster.killCentral()
        let queue = try cluster.centralDatabase()
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO case_states (gate_id, origin, seq, state, updated_ms) VALUES ('gate-a', ?, ?, 'confirmed', 0)
                    ON CONFLICT (gate_id, origin, seq) DO UPDATE SET state = excluded.state
                    """,
                arguments: [origin, seq])
        }
        queue.close()
        let export = try cluster.centralCLI(["violations", "export", "--day", day])
        #expect(export.split(separator: "\n").count == 1, "header only: \(export)")
        #expect(!export.contains(Self.plate))
    }

    /// One HTTP request with a bearer token; the status and body.
    static func http(_ method: String, _ url: String, token: String, body: String? = nil) throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String) = (0, "")
        URLSession.shared.dataTask(with: request) { data, response, error in
            result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data.map { String(decoding: $0, as: UTF8.self) } ?? "\(error.map { "\($0)" } ?? "")")
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 10) == .success else { throw ClusterError("no answer from \(url)") }
        return result
    }
}
