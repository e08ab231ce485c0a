import CentralCore
import CentralHTTP
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OpenAPITests {
    @Test("the OpenAPI document lists exactly the API routes the router serves: none missing, none extra")
    func documentMatchesRouter() async throws {
        let fixture = try ControlFixture()
        let served = Set(fixture.centre.router().routes.filter { $0.path.description.hasPrefix("/api/") }.map { "\($0.method.rawValue) \($0.path)" })
        let documented: Set<String> = try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                let document = try response.json()
                #expect(document["openapi"] as? String == "3.1.0")
                var operations: Set<String> = []
                for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
                    for method in item.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                        operations.insert("\(method.uppercased()) \(path)")
                    }
                }
                return operations
            }
        }
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 10)
    }
}
