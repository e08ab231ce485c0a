import CentralCore
import CentralHTTP
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct APIAccessTests {
    /// A concrete URI for a route pattern, against the fixture's data.
    static func uri(_ route: APIRoute, _ fixture: ControlFixture) -> String {
        route.path.replacingOccurrences(of: "{id}", with: fixture.lowConfidence.description).replacingOccurrences(of: "{role}", with: "frame")
            .replacingOccurrences(of: "{holder}", with: "H1").replacingOccurrences(of: "{permit}", with: "P1")
            .replacingOccurrences(of: "{application}", with: fixture.applicationID).replacingOccurrences(of: "{register}", with: "residents")
    }

    @Test("every API route but the OpenAPI document answers 401 with problem+json without a token, or with a revoked one")
    func noTokenIs401() async throws {
        let fixture = try ControlFixture()
        try fixture.store.revokeToken(name: "t-supervisor")
        try await fixture.application().test(.router) { client in
            for route in try ControlFixture.routes where route.authenticated {
                for role in [nil, AccessRole.supervisor] {
                    try await client.execute(uri: Self.uri(route, fixture), method: route.method, headers: fixture.headers(role)) { response in
                        #expect(response.status == .unauthorized, "\(route.method) \(route.path)")
                        #expect(response.headers[.contentType] == "application/problem+json")
                        let problem = try response.json()
                        #expect(problem["status"] as? Int == 401)
                    }
                }
            }
        }
    }

    @Test("for every route and every role: a role without the route's permission gets 403 and nothing changes; one with it is let in")
    func perRolePerRoute() async throws {
        for route in try ControlFixture.routes where route.authenticated {
            for role in AccessRole.allCases {
                // A fresh store per pair, so an allowed action never hides a refused one's effect.
                let fixture = try ControlFixture()
                let before = try fixture.snapshot()
                let body = route.method == .post || route.method == .put ? ByteBuffer(string: #"{"reason": "test"}"#) : nil
                let allowed = route.permission.map(role.may) ?? true
                try await fixture.application().test(.router) { client in
                    try await client.execute(
                        uri: Self.uri(route, fixture), method: route.method, headers: fixture.headers(role, json: true), body: body
                    ) { response in
                        if allowed {
                            #expect(response.status != .forbidden && response.status != .unauthorized, "\(role) \(route.method) \(route.path)")
                        } else {
                            #expect(response.status == .forbidden, "\(role) \(route.method) \(route.path)")
                            #expect(response.headers[.contentType] == "application/problem+json")
                        }
                    }
                }
                if !allowed { #expect(try fixture.snapshot() == before, "\(role) \(route.method) \(route.path) changed something") }
            }
        }
    }

    @Test("the gate list is the status `bollard-central status --json` computes")
    func gates() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/gates", method: .get, headers: fixture.headers(.operator_)) { response in
                #expect(response.status == .ok)
                let status = try response.json()
                let gates = status["gates"] as? [[String: Any]]
                #expect(gates?.map { $0["gate_id"] as? String } == ["gate-01"])
                #expect((status["events"] as? [String: Any])?["violations"] as? Int == 1)
            }
        }
    }

    @Test("violation and review lists filter by state, gate and day, and page with a cursor without repeats")
    func listsPageAndFilter() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/api/v1/reviews?limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")
                cursor = try await client.execute(uri: uri, method: .get, headers: fixture.headers(.operator_)) { response in
                    #expect(response.status == .ok)
                    let page = try response.json()
                    seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    return page["next_cursor"] as? String
                }
            } while cursor != nil
            #expect(seen == [fixture.confusion.description, fixture.lowConfidence.description])
            try await client.execute(uri: "/api/v1/violations?state=open&gate=gate-01", method: .get, headers: fixture.headers(.operator_)) { response in
                let items = try response.json()["items"] as? [Any]
                #expect(items?.count == 1)
            }
            try await client.execute(uri: "/api/v1/violations?day=2001-01-01", method: .get, headers: fixture.headers(.operator_)) { response in
                let items = try response.json()["items"] as? [Any]
                #expect(items?.count == 0)
            }
            try await client.execute(uri: "/api/v1/violations?state=confirmed", method: .get, headers: fixture.headers(.operator_)) { response in
                let items = try response.json()["items"] as? [Any]
                #expect(items?.count == 0)
            }
            try await client.execute(uri: "/api/v1/violations?limit=100000", method: .get, headers: fixture.headers(.operator_)) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test("an event with no image store answers 404 for its images, and nothing is audited")
    func imagesWithoutStore() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/events/\(fixture.violation)/images/frame", method: .get, headers: fixture.headers(.police)) {
                #expect($0.status == .notFound)
            }
        }
        #expect(try AuditLog(store: fixture.store).entries().isEmpty)
    }
}
