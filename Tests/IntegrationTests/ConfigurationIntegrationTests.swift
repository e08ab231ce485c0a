import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 12, point 3: both daemons read one validated configuration. Real
/// binaries: every configuration error exits 78 (what the units do not
/// restart) and names the file, line, key, value and what is allowed.
@Suite(.serialized, .timeLimit(.minutes(2)))
final class ConfigurationIntegrationTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-config-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try Cluster.runToEnd(
            tool, arguments, environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BOLLARD_") }.merging(environment) { $1 })
    }

    @Test("bollard-edge: each kind of configuration error exits 78 and names the file, line, key, value and what is allowed", arguments: [
        ("gate_id = g1\ncolour = blue\n", [], [:], ":2: unknown key 'colour' (value 'blue')"),
        ("gate_id = g1\ncamera_fps = 0\n", [], [:], ":2: camera_fps = '0' is not allowed; allowed: an integer in 1...240"),
        ("gate_id = g1\nzone = a\nzone = b\n", [], [:], ":3: duplicate key 'zone' = 'b'; already set at line 2"),
        ("zone = a\n", [], [:], ".conf: missing required key 'gate_id'"),
        (
            "gate_id = g1\ncentral_endpoint = tcp://central.example\n", [], [:],
            ":2: central_endpoint = 'tcp://central.example' is not allowed; allowed: tcp://HOST:PORT or ipc://PATH (no port: write tcp://HOST:PORT)"
        ),
        ("gate_id = g1\nthis is not a setting\n", [], [:], ":2: expected 'key = value', got 'this is not a setting'"),
        ("gate_id = g1\n", ["--confident-threshold", "2"], [:], "--confident-threshold: confident_threshold = '2' is not allowed; allowed: a number in 0.0...1.0"),
        ("gate_id = g1\n", ["--set", "camera_gain=loud"], [:], "--set camera_gain: camera_gain = 'loud' is not allowed; allowed: auto, or an integer in 0...10000"),
        ("gate_id = g1\n", [], ["BOLLARD_EDGE_DIRECTION": "up"], "environment BOLLARD_EDGE_DIRECTION: direction = 'up' is not allowed; allowed: one of entry, exit"),
        ("gate_id = g1\n", [], ["BOLLARD_EDGE_GATEID": "x"], "environment BOLLARD_EDGE_GATEID: unknown key 'gateid' (value 'x'); did you mean 'gate_id'?"),
        // Issue 13, point 3: several central endpoints.
        (
            "gate_id = g1\ncentral_endpoints = tcp://a:7700, tcp://b\n", [], [:],
            ":2: central_endpoints = 'tcp://a:7700, tcp://b' is not allowed; allowed: a comma-separated list of tcp://HOST:PORT or ipc://PATH, or empty (entry 2 'tcp://b': no port: write tcp://HOST:PORT)"
        ),
        (
            "gate_id = g1\ncentral_endpoints = tcp://a:7700, tcp://a:7700\n", [], [:],
            ":2: central_endpoints = 'tcp://a:7700, tcp://a:7700' is not allowed; allowed: a comma-separated list of tcp://HOST:PORT or ipc://PATH, or empty (entry 2 'tcp://a:7700' is listed twice)"
        ),
        (
            "gate_id = g1\ncentral_endpoints = tcp://a:7700, tcp://b:7700\ncentral_public_key_files = /k/a.pub\n", [], [:],
            ":3: central_public_key_files = '/k/a.pub' does not fit: 1 key file for 2 central endpoints; give one per endpoint, in the same order, or one shared central_public_key_file"
        ),
        (
            "gate_id = g1\ncentral_endpoint = tcp://a:7700\ncentral_endpoints = tcp://a:7700, tcp://b:7700\n", [], [:],
            ":3: central_endpoints = 'tcp://a:7700, tcp://b:7700' does not fit: central_endpoint is set too; list every central in central_endpoints and remove central_endpoint"
        ),
        (
            "gate_id = g1\ncentral_endpoints = tcp://a:7700, tcp://b:7700\n", ["--set", "central_public_key_files=/k/a.pub, /k/b.pub", "--central-public-key-file", "/k/c.pub"], [:],
            "--set central_public_key_files: central_public_key_files = '/k/a.pub, /k/b.pub' does not fit: central_public_key_file is set too"
        ),
    ] as [(String, [String], [String: String], String)])
    func edgeErrors(_ text: String, _ flags: [String], _ environment: [String: String], _ message: String) throws {
        let file = try write("edge.conf", text)
        for command in ["check-config", "run"] {
            let result = try run("bollard-edge", [command, "--config", file, "--data-dir", folder + "/data"] + flags, environment: environment)
            #expect(result.status == 78, "\(command): \(result.output)")
            #expect(result.output.contains(message), "\(command): \(result.output)")
            if message.hasPrefix(":") || message.hasPrefix(".conf") { #expect(result.output.contains(file)) }
        }
        // Nothing was created for a configuration that was refused.
        #expect(!FileManager.default.fileExists(atPath: folder + "/data"))
    }

    @Test("bollard-edge: two central endpoints with a key file each read well, and check-config lists both")
    func severalCentralEndpoints() throws {
        let file = try write(
            "edge.conf", "gate_id = g1\ncentral_endpoints = tcp://a:7700, tcp://b:7700\ncentral_public_key_files = /k/a.pub, /k/b.pub\n")
        let result = try run("bollard-edge", ["check-config", "--config", file])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("central tcp://a:7700, tcp://b:7700"))
        #expect(result.output.contains("central_endpoints = tcp://a:7700, tcp://b:7700  # \(file):2\n"))
        #expect(result.output.contains("central_public_key_files = /k/a.pub, /k/b.pub  # \(file):3\n"))
    }

    @Test("A file missing or unreadable is a configuration error too (exit 78)")
    func missingFile() throws {
        let result = try run("bollard-edge", ["check-config", "--config", folder + "/nope.conf"])
        #expect(result.status == 78)
        #expect(result.output.contains("\(folder)/nope.conf: cannot read the configuration file: no such file"))
        let central = try run("bollard-central", ["run", "--config", folder + "/nope.conf", "--data-dir", folder + "/c"])
        #expect(central.status == 78 && central.output.contains("nope.conf: cannot read the configuration file"))
    }

    @Test("A file written on Windows (CRLF, byte-order mark) reads, and check-config says where each value came from")
    func windowsFileAndOrigins() throws {
        let file = try write("edge.conf", "\u{FEFF}# from a laptop\r\ngate_id = gate-07\r\ndirection = exit\r\ncamera_loop = true\r\n")
        let result = try run("bollard-edge", ["check-config", "--config", file, "--zone", "old-town"], environment: ["BOLLARD_EDGE_BUFFER_CAPACITY": "500"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("configuration ok: gate gate-07, zone old-town, exit"))
        #expect(result.output.contains("gate_id = gate-07  # \(file):2\n"))
        #expect(result.output.contains("camera_loop = true  # \(file):4\n"))
        #expect(result.output.contains("zone = old-town  # --zone\n"))
        #expect(result.output.contains("buffer_capacity = 500  # environment BOLLARD_EDGE_BUFFER_CAPACITY\n"))
        #expect(result.output.contains("heartbeat_interval = 1.0  # default\n"))
    }

    @Test("bollard-central reads a file for run and check-config; its flags still override it; errors exit 78")
    func centralConfiguration() throws {
        let file = try write("central.conf", "data_dir = \(folder)/central\r\ngate_endpoint = tcp://127.0.0.1:7700\r\nhttp = 127.0.0.1:0\r\n")
        let ok = try run("bollard-central", ["check-config", "--config", file, "--gate-endpoint", "tcp://127.0.0.1:7799"])
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("gate_endpoint = tcp://127.0.0.1:7799  # --gate-endpoint\n"))
        #expect(ok.output.contains("http = 127.0.0.1:0  # \(file):3\n"))
        #expect(ok.output.contains("log_level = notice  # default\n"))

        let bad = try write("bad.conf", "data_dir = \(folder)/central\ngate_endpoint = tcp://0.0.0.0\nlog_level = loud\n")
        for command in ["check-config", "run"] {
            let result = try run("bollard-central", [command, "--config", bad])
            #expect(result.status == 78, "\(command): \(result.output)")
            #expect(result.output.contains("\(bad):2: gate_endpoint = 'tcp://0.0.0.0' is not allowed"))
            #expect(result.output.contains("\(bad):3: log_level = 'loud' is not allowed; allowed: one of trace, debug, info, notice, warning, error, critical"))
        }
        let fromEnvironment = try run("bollard-central", ["check-config"], environment: ["BOLLARD_CENTRAL_HTTP": "nowhere"])
        #expect(fromEnvironment.status == 78 && fromEnvironment.output.contains("environment BOLLARD_CENTRAL_HTTP: http = 'nowhere' is not allowed"))
        // An admin command finds the data folder in the same file.
        let status = try run("bollard-central", ["gates", "list", "--config", file])
        #expect(status.status == 0, "\(status.output)")
        #expect(TestEngine.isPostgres || FileManager.default.fileExists(atPath: folder + "/central/central.sqlite"))
    }

    @Test("config example prints what is checked in under systemd/, for both daemons")
    func examplesMatchTheBinaries() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (tool, file) in [("bollard-edge", "edge.conf.example"), ("bollard-central", "central.conf.example")] {
            let printed = try run(tool, ["config", "example"])
            #expect(printed.status == 0)
            let checkedIn = try String(contentsOfFile: repository.appendingPathComponent("systemd/" + file).path, encoding: .utf8)
            #expect(printed.output == checkedIn, "regenerate: \(tool) config example > systemd/\(file)")
        }
    }

    @Test("SIGHUP applies reloadable keys to a running gate, names the ones that need a restart, and refuses a broken file without stopping")
    func sighupReload() throws {
        let file = try write("edge.conf", "gate_id = lone\nzone = casco-viejo\nconfident_threshold = 0.9\nmax_clock_skew_s = 10\n")
        let gate = try LoneGate(arguments: ["--config", file])
        try waitUntil("gate serves its socket", timeout: 30) { (try? gate.status()) != nil }

        _ = try write("edge.conf", "gate_id = lone\nzone = old-town\nconfident_threshold = 0.6\nmax_clock_skew_s = 10\n")
        try signalUntilLogged(gate, "configuration reloaded; some changes need a restart")
        #expect(gate.log.contains("config.changed=confident_threshold config.restart_needed=zone"), "\(gate.log)")

        _ = try write("edge.conf", "gate_id = lone\r\nconfident_threshold = 1.5\r\n")
        try signalUntilLogged(gate, "configuration reload refused")
        #expect(gate.log.contains("\(file):2: confident_threshold = '1.5' is not allowed; allowed: a number in 0.0...1.0"), "\(gate.log)")
        #expect(gate.process.isRunning)
        #expect((try? gate.status()) != nil)
    }

    @Test("Under journald (JOURNAL_STREAM names stderr) each log line carries its syslog priority")
    func journalPriorityPrefix() throws {
        let log = folder + "/journal.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        var status = stat()
        #expect(stat(log, &status) == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = Cluster.binDirectory.appendingPathComponent("bollard-edge")
        // No central.pub in the data folder: the gate logs a critical "cannot start" and exits 78.
        process.arguments = ["run", "--gate-id", "g", "--data-dir", folder + "/data", "--log-level", "info"]
        process.environment = ProcessInfo.processInfo.environment.merging(["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"]) { $1 }
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 78)
        let lines = (try String(contentsOfFile: log, encoding: .utf8)).split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<2>critical bollard.edge: ") && $0.contains("cannot start") }, "\(lines)")
        #expect(lines.allSatisfy { $0.first == "<" }, "\(lines)")
    }

    // MARK: Helpers

    func waitUntil(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ClusterError("timed out after \(timeout) s waiting for: \(what)")
    }

    /// Sends SIGHUP until the log shows `text` once more than before: a signal sent before the
    /// gate's reload service trapped it is ignored (the daemon ignores SIGHUP from its first line).
    func signalUntilLogged(_ gate: LoneGate, _ text: String) throws {
        let before = gate.log.components(separatedBy: text).count
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            kill(gate.process.processIdentifier, SIGHUP)
            let wait = Date().addingTimeInterval(1)
            while Date() < wait {
                if gate.log.components(separatedBy: text).count > before { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        throw ClusterError("no '\(text)' in the log after SIGHUP: \(gate.log)")
    }
}
