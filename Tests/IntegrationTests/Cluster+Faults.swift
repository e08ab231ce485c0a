import BollardSupport
import Foundation
import WireProtocol
import ZMQ

/// Tools for the hardening tests: a process clock that can be stepped, and
/// a hand-made gate that sends exactly what a test wants.
extension Cluster {
    /// libfaketime, installed by the test command (Debian package `faketime`).
    static let faketimeLibrary: String? = {
        let candidates = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []
        return candidates.map { "/usr/lib/\($0)/faketime/libfaketime.so.1" }.first { FileManager.default.fileExists(atPath: $0) }
    }()

    /// Environment that makes a process's wall clock follow the offset in
    /// `file` ("+0", "-3600", "+40d"), re-read on every call, while its
    /// monotonic clock stays true: what an NTP step does.
    func steppableClock(_ name: String, offset: String) throws -> (environment: [String: String], file: String) {
        guard let library = Self.faketimeLibrary else { throw ClusterError("libfaketime not installed (Debian package faketime)") }
        let file = root.appendingPathComponent("\(name).faketime").path
        try setClock(file, offset: offset)
        return ([
            "LD_PRELOAD": library, "FAKETIME_TIMESTAMP_FILE": file, "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        ], file)
    }

    func setClock(_ file: String, offset: String) throws {
        try (offset + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// A registered gate key driven by hand over a real CURVE connection.
    func rawGate(_ id: String) throws -> RawGate {
        try prepareEdge(id)
        let keys = try KeyFile.read(path: edgeData(id) + "/gate.key")
        let central = try KeyFile.read(path: centralData + "/central.pub")
        return try RawGate(endpoint: endpoint, centralKey: central.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey!)
    }

    func centralStatusJSON() throws -> [String: Any] {
        let output = try centralCLI(["status", "--json"])
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw ClusterError("status --json is not an object")
        }
        return object
    }

    /// One gate's entry in `bollard-central status --json`.
    func centralGateStatus(_ id: String) throws -> [String: Any] {
        let gates = try centralStatusJSON()["gates"] as? [[String: Any]] ?? []
        guard let gate = gates.first(where: { $0["gate_id"] as? String == id }) else { throw ClusterError("no status for \(id)") }
        return gate
    }
}

/// A DEALER with a gate's CURVE keys, for tests that must send what no real gate sends.
final class RawGate {
    let context: ZMQContext
    let socket: ZMQSocket

    init(endpoint: String, centralKey: String, publicKey: String, secretKey: String) throws {
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.makeCurveClient(serverPublicKey: centralKey, publicKey: publicKey, secretKey: secretKey)
        try socket.setOption(ZMQOption.maxMessageSize, Int64(ProtocolVersion.maxTransportFrameBytes))
        try socket.setOption(ZMQOption.sendHighWaterMark, Int32(100_000))
        try socket.connect(endpoint)
    }

    deinit {
        socket.close()
        context.shutdown()
    }

    func send(_ message: GateMessage) throws { try send(WireCodec.encode(message)) }

    /// Sends without blocking forever: a test must fail, not hang, when central never admits this key.
    func send(_ payload: [UInt8], timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !socket.send([payload], dontWait: true) {
            guard Date() < deadline else { throw ClusterError("central did not take a message within \(timeout) s") }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// The next message from central within `timeout` seconds, or nil.
    func receive(timeout: Double) throws -> CentralMessage? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = try socket.receive(dontWait: true) {
                return try WireCodec.decodeCentralMessage(message.frames.last ?? [])
            }
            _ = try ZMQPoller.poll([socket], timeoutMilliseconds: 50)
        }
        return nil
    }

    /// Waits for the first message `matching` within `timeout` seconds, skipping others.
    func receive(timeout: Double, matching: (CentralMessage) -> Bool) throws -> CentralMessage? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = try receive(timeout: deadline.timeIntervalSinceNow), matching(message) { return message }
        }
        return nil
    }
}
