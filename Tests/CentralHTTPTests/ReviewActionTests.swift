import CentralCore
import CentralHTTP
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ReviewActionTests {
    func post(_ client: some TestClientProtocol, _ fixture: ControlFixture, _ path: String, _ body: String, as role: AccessRole) async throws
        -> (HTTPResponse.Status, [String: Any])
    {
        try await client.execute(uri: path, method: .post, headers: fixture.headers(role, json: true), body: ByteBuffer(string: body)) {
            ($0.status, (try? $0.json()) ?? [:])
        }
    }

    @Test("confirming a review re-decides its read against the permits valid at the passage: a permitted plate is dismissed as authorised")
    func confirmRedecides() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            let (status, detail) = try await post(client, fixture, "/api/v1/violations/\(fixture.lowConfidence)/confirm", "{}", as: .operator_)
            #expect(status == .ok)
            #expect((detail["event"] as? [String: Any])?["state"] as? String == "dismissed")
            let action = (detail["actions"] as? [[String: Any]])?.first
            #expect(action?["actor"] as? String == "t-operator")
            #expect((action?["outcome"] as? String)?.contains("P1") == true)
        }
    }

    @Test("confirming with a corrected plate that holds no permit confirms the violation, records the plate, who and when")
    func correctedPlate() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            let (status, detail) = try await post(
                client, fixture, "/api/v1/violations/\(fixture.confusion)/confirm", #"{"plate": "5555 XYZ"}"#, as: .operator_)
            #expect(status == .ok)
            #expect((detail["event"] as? [String: Any])?["state"] as? String == "confirmed")
            let action = (detail["actions"] as? [[String: Any]])?.first
            #expect(action?["plate"] as? String == "5555XYZ")
            #expect((action?["at_ms"] as? Int ?? 0) > 0)
            let (again, _) = try await post(client, fixture, "/api/v1/violations/\(fixture.confusion)/dismiss", #"{"reason": "x"}"#, as: .operator_)
            #expect(again == .conflict)
            let (bad, _) = try await post(client, fixture, "/api/v1/violations/\(fixture.violation)/confirm", #"{"plate": "!"}"#, as: .operator_)
            #expect(bad == .unprocessableContent)
        }
    }

    @Test("dismiss needs a reason; an escalated case answers 403 to an operator and is decided by a supervisor; each action is audited")
    func dismissAndEscalate() async throws {
        let fixture = try ControlFixture()
        let path = "/api/v1/violations/\(fixture.violation)"
        try await fixture.application().test(.router) { client in
            #expect(try await post(client, fixture, path + "/dismiss", "{}", as: .operator_).0 == .unprocessableContent)
            #expect(try await post(client, fixture, path + "/escalate", #"{"reason": "plate half hidden"}"#, as: .operator_).0 == .ok)
            let before = try fixture.snapshot()
            #expect(try await post(client, fixture, path + "/confirm", "{}", as: .operator_).0 == .forbidden)
            #expect(try fixture.snapshot() == before)
            let (status, detail) = try await post(client, fixture, path + "/dismiss", #"{"reason": "delivery van, permit pending"}"#, as: .supervisor)
            #expect(status == .ok)
            #expect((detail["event"] as? [String: Any])?["state"] as? String == "dismissed")
        }
        let audit = try AuditLog(store: fixture.store).entries()
        #expect(audit.map(\.action) == ["case.dismiss", "case.escalate"])
        #expect(audit.map(\.actor) == ["t-supervisor", "t-operator"])
        #expect(audit.first?.reason == "delivery van, permit pending")
        #expect(try AuditLog(store: fixture.store).verify() == 2)
    }

    @Test("an authorised passage is not a case: acting on it is refused")
    func notACase() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            let passage = try await post(client, fixture, "/api/v1/violations/\(fixture.passage)/confirm", "{}", as: .operator_).0
            let unknown = try await post(client, fixture, "/api/v1/violations/nope~x~1/confirm", "{}", as: .operator_).0
            let garbage = try await post(client, fixture, "/api/v1/violations/garbage/confirm", "{}", as: .operator_).0
            let notJSON = try await post(client, fixture, "/api/v1/violations/\(fixture.violation)/dismiss", "not json", as: .operator_).0
            #expect(passage == .conflict)
            #expect(unknown == .notFound)
            #expect(garbage == .badRequest)
            #expect(notJSON == .badRequest)
        }
    }
}
