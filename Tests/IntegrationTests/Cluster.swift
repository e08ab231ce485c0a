import BollardSupport
import TestSupport
@testable import CentralCore
import Foundation
import GRDB
import Testing
import WireProtocol
import ZMQ

#if canImport(Glibc)
import Glibc
#endif

/// Real `bollard-central` and `bollard-edge` processes on 127.0.0.1, with
/// CURVE, real SQLite files in a temporary folder, and a free port.
/// Each test makes its own cluster and tears it down.
final class Cluster {
    let root: URL
    let port: Int
    var central: Process?
    var edges: [String: Process] = [:]
    /// Further `bollard-central run` processes on the same data folder (failover tests), by port.
    var otherCentrals: [Int: Process] = [:]
    private var centralLaunches = 0

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-it-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        port = try Self.freePort()
        // On PostgreSQL every central this cluster starts (and every CLI run) shares one fresh database:
        // the environment names it, as a configuration file would (tests run one at a time).
        if TestEngine.isPostgres {
            let url = TestEngine.freshDatabaseURL()
            postgresURL = url
            setenv("BOLLARD_CENTRAL_STORE", url, 1)
        } else {
            postgresURL = nil
            unsetenv("BOLLARD_CENTRAL_STORE")
        }
    }

    /// This cluster's PostgreSQL database, when the tests run on PostgreSQL.
    let postgresURL: String?

    deinit {
        for process in [central].compactMap({ $0 }) + Array(edges.values) + Array(otherCentrals.values) where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // BOLLARD_KEEP_TEST_DIRS=1 keeps every cluster's logs and databases for a post-mortem.
        if ProcessInfo.processInfo.environment["BOLLARD_KEEP_TEST_DIRS"] == nil { try? FileManager.default.removeItem(at: root) }
    }

    /// The daemons' log level (BOLLARD_TEST_LOG_LEVEL, e.g. debug to chase an intermittent failure).
    static let logLevel = ProcessInfo.processInfo.environment["BOLLARD_TEST_LOG_LEVEL"] ?? "info"

    var endpoint: String { "tcp://127.0.0.1:\(port)" }
    var centralData: String { root.appendingPathComponent("central").path }
    var centralLog: String { root.appendingPathComponent("central.log").path }
    func edgeData(_ id: String) -> String { root.appendingPathComponent(id).path }
    func edgeSocket(_ id: String) -> String { edgeData(id) + "/edge.sock" }

    // MARK: Processes

    static let binDirectory: URL = {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        // swift test runs the bundle from inside .build/<triple>/debug.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("bollard-central").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    /// Runs one of our binaries (or, given an absolute path, that program) to its end; its exit status and output.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try Self.runToEnd(tool, arguments)
    }

    /// Runs one of our binaries (or, given an absolute path, that program) to its end, stdout and
    /// stderr together; `environment`, when given, replaces the inherited one.
    static func runToEnd(_ tool: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = tool.hasPrefix("/") ? URL(fileURLWithPath: tool) : binDirectory.appendingPathComponent(tool)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func centralCLI(_ arguments: [String]) throws -> String {
        let result = try run("bollard-central", arguments + ["--data-dir", centralData])
        guard result.status == 0 else { throw ClusterError("bollard-central \(arguments.joined(separator: " ")) failed: \(result.output)") }
        return result.output
    }

    func startCentral(environment: [String: String] = [:], extra: [String] = []) throws {
        let process = try launch(
            "bollard-central", ["run", "--data-dir", centralData, "--gate-endpoint", endpoint, "--log-level", Self.logLevel] + extra, log: centralLog,
            environment: environment)
        central = process
        centralLaunches += 1
        try waitUntil("central has a key pair", timeout: 20) { FileManager.default.fileExists(atPath: self.centralData + "/central.pub") }
    }

    func killCentral() {
        guard let central, central.isRunning else { return }
        kill(central.processIdentifier, SIGKILL)
        central.waitUntilExit()
    }

    /// Makes the gate's key pair, gives it central's public key, and registers it (unless told not to).
    func prepareEdge(_ id: String, register: Bool = true) throws {
        let folder = edgeData(id)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: centralData + "/central.pub") {
            _ = try centralCLI(["gates", "list"])  // creates central's store and key pair
        }
        try? FileManager.default.removeItem(atPath: folder + "/central.pub")
        try FileManager.default.copyItem(atPath: centralData + "/central.pub", toPath: folder + "/central.pub")
        let pair = try CurveKeyPair.generate()
        try KeyFile.writePair(base: folder + "/gate", publicKey: pair.publicKey, secretKey: pair.secretKey)
        if register {
            _ = try centralCLI(["gates", "register", "--id", id, "--zone", "casco-viejo", "--key", folder + "/gate.pub"])
        }
    }

    /// Starts a gate; `allowInjection` (on by default here: most tests feed reads by injection) sets `--allow-injection`;
    /// `socket` names the diagnostics socket when `extra` moves it elsewhere.
    /// `centralEndpoints`, when given, replaces `--central-endpoint` with `central_endpoints` (failover order).
    func startEdge(
        _ id: String, extra: [String] = [], heartbeatInterval: Double = 0.2, environment: [String: String] = [:], allowInjection: Bool = true,
        socket: String? = nil, centralEndpoints: [String]? = nil
    ) throws {
        let central = centralEndpoints.map { ["--set", "central_endpoints=" + $0.joined(separator: ", ")] } ?? ["--central-endpoint", endpoint]
        let arguments = [
            "run", "--gate-id", id, "--zone", "casco-viejo", "--data-dir", edgeData(id)] + central + [
            "--heartbeat-interval", String(heartbeatInterval), "--log-level", Self.logLevel,
        ] + (allowInjection ? ["--allow-injection"] : []) + extra
        edges[id] = try launch("bollard-edge", arguments, log: edgeData(id) + ".log", environment: environment)
        let path = socket ?? edgeSocket(id)
        try waitUntil("\(id) diagnostics socket", timeout: 20) {
            (try? UnixLineClient.request(path: path, line: String(decoding: WireCodec.encode(DiagnosticsRequest.status), as: UTF8.self))) != nil
        }
    }

    func signalEdge(_ id: String, _ signal: Int32) {
        guard let process = edges[id], process.isRunning else { return }
        kill(process.processIdentifier, signal)
        if signal == SIGKILL || signal == SIGTERM { process.waitUntilExit() }
    }

    func launch(_ tool: String, _ arguments: [String], log: String, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = Self.binDirectory.appendingPathComponent(tool)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    // MARK: Talking to gates

    func ask(_ id: String, _ request: DiagnosticsRequest) throws -> DiagnosticsReply {
        let answer = try UnixLineClient.request(path: edgeSocket(id), line: String(decoding: WireCodec.encode(request), as: UTF8.self))
        return try JSONDecoder().decode(DiagnosticsReply.self, from: Data(answer.utf8))
    }

    func edgeStatus(_ id: String) throws -> EdgeStatus {
        guard let status = try ask(id, .status).status else { throw ClusterError("no status from \(id)") }
        return status
    }

    func inject(_ id: String, _ plate: String, confidence: Double = 0.99) throws -> DiagnosticsReply {
        let reply = try ask(id, .inject(plate: plate, confidence: confidence))
        guard reply.ok else { throw ClusterError("inject failed: \(reply.error ?? "?")") }
        return reply
    }

    // MARK: Reading central's database

    /// Central's store as the processes see it: its SQLite file, or this cluster's PostgreSQL database.
    func centralDatabase() throws -> any StoreDatabase {
        try CentralStore(location: centralStoreLocation).database
    }

    /// Where this cluster's centrals keep their store (`BOLLARD_TEST_ENGINE` chooses the engine).
    var centralStoreLocation: StoreLocation {
        postgresURL.map { .postgres(url: $0) } ?? .sqlite(path: centralData + "/central.sqlite")
    }

    func centralEventSeqs(gate: String) throws -> [Int64] {
        try centralDatabase().read { db in
            try Int64.fetchAll(db, sql: "SELECT seq FROM events WHERE gate_id = ? ORDER BY seq", arguments: [gate])
        }
    }

    func centralHeadSeq() throws -> Int64 {
        try centralDatabase().read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM permit_changes") ?? 0 }
    }

    /// Highest event sequence a gate ever assigned (SQLite's AUTOINCREMENT counter).
    func edgeLastAssignedSeq(_ id: String) throws -> Int64 {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: edgeData(id) + "/edge.sqlite", configuration: configuration)
        return try queue.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0 }
    }

    func log(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    // MARK: Utilities

    func waitUntil(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ClusterError("timed out after \(timeout) s waiting for: \(what)")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ClusterError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
