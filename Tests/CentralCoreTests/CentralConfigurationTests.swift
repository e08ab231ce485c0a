import BollardSupport
import CentralCore
import Foundation
import Testing

@Suite struct CentralConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The checked-in example is what the key table generates.
    @Test func exampleFileIsGeneratedFromTheKeys() throws {
        let text = try String(contentsOfFile: Self.repository.appendingPathComponent("systemd/central.conf.example").path, encoding: .utf8)
        #expect(text == CentralConfiguration.example, "regenerate it: bollard-central config example > systemd/central.conf.example")
    }

    @Test func exampleReadsBackAndFileKeysMatchTheFlags() throws {
        let keyLines = CentralConfiguration.example.split(separator: "\n").filter { $0.wholeMatch(of: /# [a-z][a-z0-9_]* = .*/) != nil }
        #expect(keyLines.map { String($0.dropFirst(2).prefix { $0 != " " }) } == ["data_dir", "store", "store_pool_size", "gate_endpoint", "http", "log_level"])
        let loaded = try CentralConfiguration.reader.read(fileText: keyLines.map { String($0.dropFirst(2)) }.joined(separator: "\n"), fileName: "x")
        #expect(loaded.value.dataDirectory == "data/central" && loaded.value.httpAddress == "127.0.0.1:8080")
        #expect(loaded.value.storeLocation == .postgres(url: "postgres://bollard@127.0.0.1:5432/bollard"))
    }

    @Test("Central's errors name the line, key, value and what is allowed", arguments: [
        ("http = localhost", "c.conf:1: http = 'localhost' is not allowed; allowed: ADDRESS:PORT (PORT 0...65535, 0 = any free one), or empty for none"),
        ("gate_endpoint = tcp://0.0.0.0", "c.conf:1: gate_endpoint = 'tcp://0.0.0.0' is not allowed; allowed: tcp://ADDRESS:PORT (PORT may be *) or ipc://PATH (no port: write tcp://HOST:PORT)"),
        ("store = mysql://db/x", "c.conf:1: store = 'mysql://db/x' is not allowed; allowed: empty, sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (not sqlite:PATH or a postgres:// URL with a host)"),
        ("log_level = loud", "c.conf:1: log_level = 'loud' is not allowed; allowed: one of trace, debug, info, notice, warning, error, critical"),
        ("listen = tcp://0.0.0.0:7700", "c.conf:1: unknown key 'listen' (value 'tcp://0.0.0.0:7700'); 'bollard-central config keys' lists every key"),
    ])
    func errors(_ text: String, _ message: String) {
        #expect {
            try CentralConfiguration.reader.read(fileText: text, fileName: "c.conf")
        } throws: { error in
            (error as? ConfigurationError)?.description == message
        }
    }
}
