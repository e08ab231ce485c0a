import TestSupport
@testable import CentralCore
import CentralHTTP
import Foundation
import Domain
import WireProtocol
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct DashboardTests {
    /// Signs in with the role's token; returns the cookie pair and the queue page.
    func signIn(_ client: some TestClientProtocol, _ fixture: ControlFixture, _ role: AccessRole) async throws -> (cookie: String, csrf: String) {
        let cookie: String = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=\(fixture.tokens[role]!)")
        ) { response in
            #expect(response.status == .found)
            let setCookie = response.headers[.setCookie] ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            return String(setCookie.split(separator: ";")[0])
        }
        let page = try await client.execute(uri: "/queue", method: .get, headers: [.cookie: cookie]) { $0.text }
        let csrf = page.components(separatedBy: #"name="csrf" value=""#).dropFirst().first?.prefix { $0 != "\"" } ?? ""
        return (cookie, String(csrf))
    }

    @Test("signing in with a token opens an HttpOnly SameSite=Strict session; the pages show the gates and the queue's reads")
    func pagesShowData() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/dashboard", method: .get) { #expect($0.status == .seeOther || $0.status == .found || $0.status == .movedPermanently) }
            let session = try await signIn(client, fixture, .supervisor)
            try await client.execute(uri: "/dashboard", method: .get, headers: [.cookie: session.cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("gate-01") && response.text.contains("<svg"))
                #expect(response.text.contains("free on central's disk"))
            }
            try await client.execute(uri: "/queue", method: .get, headers: [.cookie: session.cookie]) { response in
                #expect(response.text.contains("1234BC0") && response.text.contains("9999ZZZ"))
            }
            try await client.execute(uri: "/audit", method: .get, headers: [.cookie: session.cookie]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/login", method: .post, body: ByteBuffer(string: "token=bt_nope")) { #expect($0.status == .unauthorized) }
        }
    }

    @Test("a dashboard session outlives a restart of central (a new instance on the same database) and ends at once when its token is revoked")
    func sessionsLiveInTheStore() async throws {
        let fixture = try ControlFixture()
        let path = try #require(fixture.databasePath)
        let session = try await fixture.application().test(.router) { client in try await signIn(client, fixture, .operator_) }
        // Only the session id's hash is kept: a copy of the database opens nothing.
        let raw = String(session.cookie.split(separator: "=", maxSplits: 1)[1])
        let kept = try fixture.store.database.read { db in try String.fetchAll(db, sql: "SELECT hash FROM dashboard_sessions") }
        #expect(kept == [AccessToken.hash(raw)])
        // Another store on the same database file: what a restarted central, or a second instance, opens.
        let restarted = try ControlCentre(store: CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path))))
        try await Application(router: restarted.router()).test(.router) { client in
            try await client.execute(uri: "/queue", method: .get, headers: [.cookie: session.cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(session.csrf), "the same session, with its CSRF token")
            }
            #expect(try fixture.store.revokeToken(name: "t-operator"))
            try await client.execute(uri: "/queue", method: .get, headers: [.cookie: session.cookie]) { response in
                #expect(response.status != .ok, "a revoked token's session still opened the queue")
            }
        }
    }

    @Test("a dashboard form without the session's CSRF token, or from another origin, is refused and changes nothing; with it, it acts")
    func csrf() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            let session = try await signIn(client, fixture, .operator_)
            #expect(!session.csrf.isEmpty)
            let before = try fixture.snapshot()
            let path = "/cases/\(fixture.violation)/confirm"
            try await client.execute(uri: path, method: .post, headers: [.cookie: session.cookie], body: ByteBuffer(string: "csrf=wrong")) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: path, method: .post, headers: [.cookie: session.cookie, .origin: "http://evil.example"],
                body: ByteBuffer(string: "csrf=\(session.csrf)")
            ) { #expect($0.status == .forbidden) }
            #expect(try fixture.snapshot() == before)
            try await client.execute(uri: path, method: .post, headers: [.cookie: session.cookie], body: ByteBuffer(string: "csrf=\(session.csrf)")) {
                #expect($0.status == .found)
            }
            #expect(try fixture.store.caseDetail(fixture.violation)?.summary.state == .confirmed)
            // An operator has no audit page.
            try await client.execute(uri: "/audit", method: .get, headers: [.cookie: session.cookie]) { #expect($0.status == .forbidden) }
        }
    }

    @Test("the review page shows the read's confidence per character, the doubtful ones marked")
    func perCharacterConfidences() async throws {
        let fixture = try ControlFixture()
        let at = Int64(Date().timeIntervalSince1970 * 1000) + 5_000
        try fixture.store.store(
            events: [
                Event(
                    seq: 9, atMilliseconds: at, kind: .review, plate: "4321FGH", confidence: 0.5, reason: "low_confidence", source: "camera",
                    characterConfidences: [0.99, 0.98, 0.97, 0.42, 0.95, 0.96, 0.93])
            ], from: "gate-01", origin: "o1")
        try await fixture.application().test(.router) { client in
            let session = try await signIn(client, fixture, .operator_)
            try await client.execute(uri: "/cases/gate-01~o1~9", method: .get, headers: [.cookie: session.cookie]) { response in
                let page = response.text
                #expect(page.contains("id=\"chars\""))
                #expect(page.contains("<span class=\"ch low\"><b>1</b><small>42</small></span>"))
                #expect(page.contains("<span class=\"ch\"><b>4</b><small>99</small></span>"))
            }
            try await client.execute(uri: "/api/v1/violations/gate-01~o1~9", method: .get, headers: fixture.headers(.operator_)) { response in
                let event = try response.json()["event"] as? [String: Any]
                #expect(event?["char_confidences"] as? [Double] == [0.99, 0.98, 0.97, 0.42, 0.95, 0.96, 0.93])
            }
        }
    }

    @Test("/metrics exposes events, cases waiting, gate states, central's free disk and request latencies in Prometheus text")
    func metrics() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/gates", method: .get, headers: fixture.headers(.operator_))
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = response.text
                #expect(text.contains("bollard_events 4"))
                #expect(text.contains("bollard_cases_waiting 3"))
                #expect(text.contains(#"bollard_gates{state="offline"} 1"#))
                #expect(text.contains("bollard_http_request_duration_seconds"))
                #expect(text.contains("bollard_gate_permit_lag"))
                // The gauge carries the real free space of the disk under the fixture's database.
                let line = text.split(separator: "\n").first { $0.hasPrefix("bollard_central_disk_free_bytes ") }
                let value = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
                #expect(value > 0, "\(line ?? "no bollard_central_disk_free_bytes line")")
            }
        }
    }
}
