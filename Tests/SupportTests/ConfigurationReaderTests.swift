import BollardSupport
import Foundation
import Logging
import Testing

/// The table-driven reader both daemons use, on a small configuration of its own.
@Suite struct ConfigurationReaderTests {
    struct Sample: Sendable, Equatable {
        var name = "gate"
        var count = 5
        var ratio = 0.5
        var enabled = false
        var endpoint = "tcp://127.0.0.1:7700"
        var socket: String?
        var level = "info"
    }

    static let reader = ConfigurationReader<Sample>(
        program: "sample",
        keys: [
            .string("name", \.name, length: 1...8, doc: "A name.", required: true, example: "gate-01"),
            .integer("count", \.count, in: 1...10, doc: "How many."),
            .number("ratio", \.ratio, in: 0...1, doc: "A share.", reloadable: true),
            .boolean("enabled", \.enabled, doc: "On or off."),
            .endpoint("endpoint", \.endpoint, bind: false, doc: "Where to connect."),
            .optionalPath("socket", \.socket, doc: "A socket.", example: "/run/x.sock"),
            .custom(
                "level", \.level, allowed: "one of info, debug", doc: "Log level.", reloadable: true,
                parse: { ["info", "debug"].contains($0) ? $0 : nil }, render: { $0 }),
        ],
        defaults: Sample(), environmentPrefix: "SAMPLE_")

    func problems(_ text: String, environment: [String: String] = [:], overrides: [ConfigurationReader<Sample>.Override] = []) -> [String] {
        do {
            _ = try Self.reader.read(fileText: text, fileName: "s.conf", environment: environment, overrides: overrides)
            return []
        } catch let error as ConfigurationError {
            return error.problems.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test("Each kind of configuration error names the file and line, the key, the value and what is allowed")
    func everyErrorNamesWhereAndWhat() {
        #expect(problems("name = a\ncolour = blue") == ["s.conf:2: unknown key 'colour' (value 'blue'); 'sample config keys' lists every key"])
        #expect(problems("name = a\ncuont = 3") == ["s.conf:2: unknown key 'cuont' (value '3'); did you mean 'count'?"])
        #expect(problems("name = a\n\ncount = lots") == ["s.conf:3: count = 'lots' is not allowed; allowed: an integer in 1...10"])
        #expect(problems("name = a\ncount = 11") == ["s.conf:2: count = '11' is not allowed; allowed: an integer in 1...10"])
        #expect(problems("name = a\nname = b") == ["s.conf:2: duplicate key 'name' = 'b'; already set at line 1"])
        #expect(problems("count = 3") == ["s.conf: missing required key 'name'; allowed: text of 1...8 characters; set 'name = …' in the file, or SAMPLE_NAME"])
        #expect(problems("name = a\njust words") == ["s.conf:2: expected 'key = value', got 'just words'"])
        #expect(problems("name = a\nenabled = yes") == ["s.conf:2: enabled = 'yes' is not allowed; allowed: true or false"])
        #expect(problems("name = a\nratio = nan") == ["s.conf:2: ratio = 'nan' is not allowed; allowed: a number in 0.0...1.0"])
    }

    @Test("An endpoint without a port, with a bad port or an unknown scheme fails, and says why", arguments: [
        ("tcp://central.example", "no port: write tcp://HOST:PORT"),
        ("tcp://central:", "no port after ':'"),
        ("tcp://central:99999", "port '99999' is not a number in 1...65535"),
        ("tcp://*:7700", "a connecting endpoint needs a host, not *"),
        ("tcp://central:*", "a connecting endpoint needs a port number, not *"),
        ("udp://central:7700", "only tcp:// and ipc:// endpoints are supported"),
        ("tcp://cen tral:7700", "host 'cen tral' is not a name or address"),
    ])
    func unparseableEndpoints(_ endpoint: String, _ reason: String) {
        #expect(problems("name = a\nendpoint = \(endpoint)") == [
            "s.conf:2: endpoint = '\(endpoint)' is not allowed; allowed: tcp://HOST:PORT or ipc://PATH (\(reason))"
        ])
    }

    @Test("Endpoints that libzmq takes are accepted; a listening one may use * for the address or port")
    func goodEndpoints() {
        for good in ["tcp://127.0.0.1:7700", "tcp://central.example.org:7700", "tcp://[::1]:7700", "ipc:///run/bollard/x.sock"] {
            #expect(Endpoint.problem(good, bind: false) == nil, "\(good)")
        }
        #expect(Endpoint.problem("tcp://*:7700", bind: true) == nil)
        #expect(Endpoint.problem("tcp://127.0.0.1:*", bind: true) == nil)
    }

    @Test("Every problem of a file is reported at once, in line order")
    func allProblemsAtOnce() {
        #expect(problems("count = 0\ncolour = red\ncount = 2") == [
            "s.conf:1: count = '0' is not allowed; allowed: an integer in 1...10",
            "s.conf:2: unknown key 'colour' (value 'red'); 'sample config keys' lists every key",
            "s.conf:3: duplicate key 'count' = '2'; already set at line 1",
            "s.conf: missing required key 'name'; allowed: text of 1...8 characters; set 'name = …' in the file, or SAMPLE_NAME",
        ])
    }

    @Test("Windows line endings, a byte-order mark, comments and quoted values read as intended")
    func windowsLineEndingsAndQuotes() throws {
        let text = "\u{FEFF}# written on Windows\r\nname = \"g #1\"  # quoted\r\ncount = 7\r\n\r\nsocket = /run/a.sock # trailing\r\nenabled = true"
        let loaded = try Self.reader.read(fileText: text, fileName: "s.conf")
        #expect(loaded.value == Sample(name: "g #1", count: 7, enabled: true, socket: "/run/a.sock"))
        #expect(loaded.origins["count"] == "s.conf:3" && loaded.origins["enabled"] == "s.conf:6")
        // A bad value on a CRLF line is reported on its own line number, without the carriage return.
        #expect(problems("name = a\r\ncount = 0\r\n") == ["s.conf:2: count = '0' is not allowed; allowed: an integer in 1...10"])
    }

    @Test("The environment overrides the file and flags override both; each is named when it is wrong")
    func layering() throws {
        let loaded = try Self.reader.read(
            fileText: "name = file\ncount = 2\nratio = 0.1", fileName: "s.conf",
            environment: ["SAMPLE_COUNT": "3", "SAMPLE_RATIO": "0.2", "OTHER": "x"],
            overrides: [.init(key: "ratio", value: "0.3", origin: "--ratio")])
        #expect(loaded.value.name == "file" && loaded.value.count == 3 && loaded.value.ratio == 0.3)
        #expect(loaded.origins == ["name": "s.conf:1", "count": "environment SAMPLE_COUNT", "ratio": "--ratio"])
        #expect(problems("name = a", environment: ["SAMPLE_COUNT": "0"]) == [
            "environment SAMPLE_COUNT: count = '0' is not allowed; allowed: an integer in 1...10"
        ])
        #expect(problems("name = a", environment: ["SAMPLE_COLOR": "red"]) == [
            "environment SAMPLE_COLOR: unknown key 'color' (value 'red'); 'sample config keys' lists every key"
        ])
        #expect(problems("name = a", overrides: [.init(key: "count", value: "x", origin: "--count")]) == [
            "--count: count = 'x' is not allowed; allowed: an integer in 1...10"
        ])
        // A required key set only by a flag is present.
        #expect(problems("", overrides: [.init(key: "name", value: "a", origin: "--name")]).isEmpty)
    }

    @Test("A value printed in an error is cut at 80 characters and its control characters escaped")
    func valuesAreShownSafely() {
        let long = String(repeating: "x", count: 200)
        let shown = problems("name = a\ncount = \(long)").first ?? ""
        #expect(shown.contains("'" + String(repeating: "x", count: 77) + "...'"))
        #expect(problems("name = a\ncount = 1\u{7}") == ["s.conf:2: count = '1\\u{07}' is not allowed; allowed: an integer in 1...10"])
    }

    @Test("The example lists every key once with its default, and uncommented it reads back as the defaults")
    func exampleReadsBack() throws {
        let example = Self.reader.example(introduction: ["sample"])
        let keyLines = example.split(separator: "\n").filter { $0.hasPrefix("# ") && $0.contains(" = ") }
        #expect(keyLines.map { $0.dropFirst(2).split(separator: " ").first.map(String.init) ?? "" } == Self.reader.keys.map(\.name))
        #expect(example.contains("# Allowed: an integer in 1...10; default: 5; restart.\n# count = 5\n"))
        #expect(example.contains("# Allowed: text of 1...8 characters; required, no default; restart.\n# name = gate-01\n"))
        #expect(example.contains("# Allowed: a number in 0.0...1.0; default: 0.5; reload.\n# ratio = 0.5\n"))
        let uncommented = keyLines.map { String($0.dropFirst(2)) }.joined(separator: "\n")
        var expected = Sample()
        expected.name = "gate-01"
        expected.socket = "/run/x.sock"
        #expect(try Self.reader.read(fileText: uncommented, fileName: "example").value == expected)
    }

    @Test("A reload applies reloadable keys, names those that need a restart, and keeps running on a bad file")
    func reloadAppliesOnlyReloadableKeys() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-reload-\(UUID().uuidString.prefix(8)).conf").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "name = a\nratio = 0.5\ncount = 2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let sources = ConfigurationReader<Sample>.Sources(file: file, environment: [:])
        let initial = try Self.reader.load(sources).value
        let applied = Applied()
        let service = ConfigurationReloadService(
            reader: Self.reader, sources: sources, running: initial, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { applied.add($0) }

        try "name = b\nratio = 0.25\ncount = 2\nlevel = debug\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(service.reload() == .init(applied: ["ratio", "level"], restartNeeded: ["name"], refused: nil))
        #expect(service.current.ratio == 0.25 && service.current.level == "debug" && service.current.name == "a")
        #expect(applied.values.map(\.ratio) == [0.25])

        try "name = b\nratio = 2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let refused = service.reload()
        #expect(refused.refused == "\(file):2: ratio = '2' is not allowed; allowed: a number in 0.0...1.0")
        #expect(service.current.ratio == 0.25 && applied.values.count == 1)
    }

    final class Applied: @unchecked Sendable {
        // Guarded by `lock`.
        private let lock = NSLock()
        private var list: [Sample] = []
        func add(_ sample: Sample) { lock.withLock { list.append(sample) } }
        var values: [Sample] { lock.withLock { list } }
    }
}

@Suite struct BollardLoggingTests {
    @Test("Under journald each line starts with the level's syslog priority and has no timestamp of its own")
    func journalPriorities() {
        let pairs: [(Logger.Level, Int)] = [(.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)]
        for (level, priority) in pairs {
            #expect(BollardLogging.syslogPriority(level) == priority)
        }
        let line = BollardLogging.format(
            level: .warning, label: "bollard.edge", metadata: "gate.id=g", source: "EdgeCore", message: "two\nlines", journal: true,
            timestamp: "T")
        #expect(line == "<4>warning bollard.edge: gate.id=g [EdgeCore] two ⏎ lines\n")
        let plain = BollardLogging.format(level: .info, label: "x", metadata: nil, source: "S", message: "m", journal: false, timestamp: "T")
        #expect(plain == "T info x: [S] m\n")
    }
}
