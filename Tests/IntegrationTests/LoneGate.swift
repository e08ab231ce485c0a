import BollardSupport
import Foundation
import TestSupport
import WireProtocol
import ZMQ

#if canImport(Glibc)
import Glibc
#endif

/// A real `bollard-edge` with its keys and central's public key but no
/// central (its sync loop keeps trying a free port), started with the
/// environment a test chooses: systemd's notify variables, a fault switch.
final class LoneGate {
    let root: URL
    let process = Process()
    let notify: NotifyListener

    var folder: String { root.path }
    var socket: String { folder + "/edge.sock" }
    var logPath: String { folder + "/edge.log" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// - Parameter watchdogUsec: `WATCHDOG_USEC`; nil sets none.
    init(arguments: [String] = [], environment: [String: String] = [:], watchdogUsec: Int? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-lone-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let gate = try CurveKeyPair.generate()
        try KeyFile.writePair(base: root.path + "/gate", publicKey: gate.publicKey, secretKey: gate.secretKey)
        let central = try CurveKeyPair.generate()
        try KeyFile.writePair(base: root.path + "/central", publicKey: central.publicKey, secretKey: central.secretKey)
        notify = try NotifyListener(path: root.path + "/notify.sock")
        var environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = watchdogUsec.map(String.init)
        process.environment = environment
        process.executableURL = Cluster.binDirectory.appendingPathComponent("bollard-edge")
        process.arguments = [
            "run", "--gate-id", "lone", "--data-dir", root.path, "--central-endpoint", "tcp://127.0.0.1:\(try Cluster.freePort())",
            "--heartbeat-interval", "0.2", "--log-level", "info",
        ] + arguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        notify.close()
        try? FileManager.default.removeItem(at: root)
    }

    func status() throws -> EdgeStatus {
        let answer = try UnixLineClient.request(path: socket, line: String(decoding: WireCodec.encode(DiagnosticsRequest.status), as: UTF8.self))
        guard let status = try JSONDecoder().decode(DiagnosticsReply.self, from: Data(answer.utf8)).status else { throw ClusterError("no status") }
        return status
    }

    /// Waits for the process to exit; nil if it is still running after `timeout` seconds.
    func exitStatus(within timeout: Double) -> Int32? {
        let end = ContinuousClock.now + .seconds(timeout)
        while process.isRunning, ContinuousClock.now < end { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else { return nil }
        return process.terminationStatus
    }
}
