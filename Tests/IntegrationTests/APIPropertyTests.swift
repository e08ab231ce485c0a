import Foundation
import Testing

/// The whole HTTP API, property-based, from its OpenAPI document: Tests/API/schemathesis.sh
/// runs schemathesis with a token of every role against a real `bollard-central run --http`
/// and fails on a server error or a response the document does not describe. `make test`
/// installs schemathesis and names it in BOLLARD_SCHEMATHESIS; a bare `swift test` skips this.
@Suite struct APIPropertyTests {
    static let schemathesis = ProcessInfo.processInfo.environment["BOLLARD_SCHEMATHESIS"]

    @Test(
        "schemathesis finds no server error and no response that breaks the OpenAPI document, for any role",
        .enabled(if: schemathesis != nil, "BOLLARD_SCHEMATHESIS is not set (make test installs schemathesis and sets it)"))
    func wholeAPIFromItsDocument() throws {
        let tool = try #require(Self.schemathesis)
        #expect(FileManager.default.isExecutableFile(atPath: tool), "no schemathesis at \(tool)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("API/schemathesis.sh").path
        let (status, output) = try Cluster.runToEnd("/bin/bash", [script, Cluster.binDirectory.path, tool])
        #expect(status == 0, "schemathesis found problems:\n\(output.suffix(6_000))")
        // It ran for every role, and generated requests.
        for role in ["citizen-app", "operator", "supervisor", "police", "integration"] {
            #expect(output.contains("== schemathesis as \(role)"), "no run as \(role)")
        }
        #expect(output.contains(" generated, "), "schemathesis generated nothing:\n\(output.suffix(2_000))")
    }
}
