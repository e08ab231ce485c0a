import BollardSupport
import Foundation
import GRDB
import Testing
import WireProtocol
import ZMQ

#if canImport(Glibc)
import Glibc
#endif

/// End to end: real processes, real CURVE sockets on 127.0.0.1, real SQLite files.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct GateCentralIntegrationTests {
    /// A plate nobody holds a permit for (a current-format Spanish plate).
    static let plate = "4821KTV"

    /// Central plus two registered gates, both connected and in step.
    static func twoGates() throws -> Cluster {
        let cluster = try Cluster()
        try cluster.startCentral()
        for id in ["gate-a", "gate-b"] {
            try cluster.prepareEdge(id)
            try cluster.startEdge(id)
        }
        try cluster.waitUntil("both gates connected", timeout: 20) {
            try ["gate-a", "gate-b"].allSatisfy { try cluster.edgeStatus($0).connected }
        }
        return cluster
    }

    @Test("a permit added at central reaches every gate and changes the next decision")
    func permitReachesEveryGate() throws {
        let cluster = try Self.twoGates()
        #expect(try cluster.inject("gate-a", Self.plate).decision == .violation)

        _ = try cluster.centralCLI(["permits", "add", "--id", "P-1", "--plate", "4821 KTV", "--profile", "resident"])
        let head = try cluster.centralHeadSeq()
        try cluster.waitUntil("both gates hold the new permit", timeout: 10) {
            try ["gate-a", "gate-b"].allSatisfy { try cluster.edgeStatus($0).health.permitSeq >= head }
        }
        #expect(try cluster.inject("gate-a", Self.plate).decision == .authorised)
        #expect(try cluster.inject("gate-b", Self.plate).decision == .authorised)

        _ = try cluster.centralCLI(["permits", "revoke", "P-1"])
        let revokedAt = try cluster.centralHeadSeq()
        try cluster.waitUntil("gate-b holds the revocation", timeout: 10) { try cluster.edgeStatus("gate-b").health.permitSeq >= revokedAt }
        #expect(try cluster.inject("gate-b", Self.plate).decision == .violation)
    }

    @Test("central killed with SIGKILL while it held part of an upload burst ends with exactly the events each gate assigned, once each, with the contents the gate decided")
    func centralCrashDuringUpload() throws {
        let cluster = try Self.twoGates()
        let count = 600
        let plates = (0..<count).map { String(format: "%04dBCD", $0) }
        let replay = cluster.root.appendingPathComponent("burst.jsonl").path
        // 10 ms apart: the burst lasts seconds, so the kill below lands while the gates still read and upload.
        let lines = plates.map { "{\"after_ms\": 10, \"plate\": \"\($0)\", \"confidence\": 0.95}" }
        try lines.joined(separator: "\n").write(toFile: replay, atomically: true, encoding: .utf8)
        let startedAt = Cluster.nowMilliseconds()
        // Restart both gates on the replay file: a burst of 600 events each.
        for id in ["gate-a", "gate-b"] {
            cluster.signalEdge(id, SIGTERM)
            try cluster.startEdge(id, extra: ["--replay-file", replay])
        }
        try cluster.waitUntil("central received part of the burst", timeout: 20) {
            try cluster.centralEventSeqs(gate: "gate-a").count > 50
        }
        cluster.killCentral()
        // Read from the dead central's file: the kill landed mid-upload.
        let heldAtKill = try cluster.centralEventCount(gate: "gate-a", centralStopped: true)
        #expect(heldAtKill > 0 && heldAtKill < count, "central held \(heldAtKill) of gate-a's \(count) events when killed")
        try cluster.startCentral()
        for id in ["gate-a", "gate-b"] {
            try cluster.waitUntil("\(id) uploaded everything", timeout: 90) {
                try cluster.edgeLastAssignedSeq(id) >= Int64(count) && cluster.edgeStatus(id).health.bufferDepth == 0
            }
            #expect(try cluster.edgeLastAssignedSeq(id) == Int64(count), "\(id) numbered one event per read")
        }
        let endedAt = Cluster.nowMilliseconds()
        for id in ["gate-a", "gate-b"] {
            let rows = try cluster.centralEventRows(gate: id)
            #expect(rows.map(\.seq) == Array(1...Int64(count)), "\(id): exactly the events it assigned, each once")
            for (index, row) in rows.enumerated() where index < count {
                let expected = (plate: plates[index], kind: "violation", confidence: 0.95)
                if row.plate != expected.plate || row.kind != expected.kind || row.confidence != expected.confidence
                    || row.permitID != nil || row.reason != nil || !(startedAt...endedAt).contains(row.atMilliseconds)
                    || (index > 0 && row.atMilliseconds < rows[index - 1].atMilliseconds)
                {
                    Issue.record("\(id): event \(row) is not the read \(expected) between \(startedAt) and \(endedAt)")
                    break
                }
            }
        }
        #expect(try cluster.centralConflictCount() == 0)
    }

    @Test("a gate killed with SIGKILL while its buffer held 40 unsent events delivers exactly those events, unchanged, once each, and restarts deciding offline")
    func gateCrashWithUnsentEvents() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")
        _ = try cluster.centralCLI(["permits", "add", "--id", "P-7", "--plate", "7777BCD"])
        let head = try cluster.centralHeadSeq()
        try cluster.waitUntil("gate holds the permit", timeout: 20) { try cluster.edgeStatus("gate-a").health.permitSeq == head }
        // Central goes away: the gate keeps deciding and buffers.
        cluster.killCentral()
        let plates = (0..<40).map { String(format: "%04dXYZ", $0) }
        var decided: [(seq: Int64?, decision: String)] = []
        for plate in plates {
            let reply = try cluster.inject("gate-a", plate)
            decided.append((reply.eventSeq, reply.decision.map { "\($0.rawValue)" } ?? "-"))
        }
        #expect(decided.map(\.seq) == (1...40).map { Optional($0) })
        #expect(try cluster.edgeStatus("gate-a").health.bufferDepth == 40)
        cluster.signalEdge("gate-a", SIGKILL)
        // What the dead gate's buffer held: every event, none sent.
        let unsent = try cluster.edgeEventRows("gate-a", gateStopped: true)
        #expect(unsent.map(\.seq) == Array(1...40))
        #expect(unsent.map(\.plate) == plates)
        #expect(unsent.map(\.kind) == decided.map(\.decision))

        // Restarted while central is still down, it decides with the permits it had.
        try cluster.startEdge("gate-a")
        #expect(try cluster.edgeStatus("gate-a").permitCount == 1)
        let authorised = try cluster.inject("gate-a", "7777 bcd")
        #expect(authorised.decision == .authorised)
        #expect(authorised.eventSeq == 41)
        let offline = try #require(try cluster.edgeEventRows("gate-a", gateStopped: false).last)

        try cluster.startCentral()
        try cluster.waitUntil("buffer drained", timeout: 30) { try cluster.edgeStatus("gate-a").health.bufferDepth == 0 }
        let rows = try cluster.centralEventRows(gate: "gate-a")
        #expect(rows.map(\.seq) == Array(1...41), "exactly the 41 events the gate assigned, each once")
        #expect(Array(rows.prefix(40)) == unsent, "central holds the killed gate's events as it stored them")
        #expect(rows.last == offline)
        #expect(offline.plate == "7777BCD" && offline.kind == "authorised" && offline.permitID == "P-7" && offline.confidence == 0.99)
        #expect(try cluster.centralConflictCount() == 0)
    }

    @Test("a gate with an unregistered key is refused and uploads nothing while a registered gate beside it uploads, and central logs it")
    func unregisteredKeyRefused() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-x", register: false)
        try cluster.prepareEdge("gate-ok")
        try cluster.startEdge("gate-x")
        try cluster.startEdge("gate-ok")
        try cluster.waitUntil("central logs the refusal", timeout: 15) {
            cluster.log(cluster.centralLog).contains("refused a gate key that is not registered")
        }
        // It still decides offline and keeps its events.
        #expect(try cluster.inject("gate-x", "1111BBB").decision == .violation)
        // The control: an admitted gate, fed after the refused one, gets its event to central.
        _ = try cluster.inject("gate-ok", "2222BBB")
        try cluster.waitUntil("the registered gate's event is at central", timeout: 20) {
            try cluster.centralEventSeqs(gate: "gate-ok") == [1]
        }
        // And a second round trip, so the refused gate has had every chance its neighbour had.
        _ = try cluster.inject("gate-ok", "3333BBB")
        try cluster.waitUntil("the registered gate's second event is at central", timeout: 20) {
            try cluster.centralEventSeqs(gate: "gate-ok") == [1, 2]
        }
        #expect(try cluster.centralEventSeqs(gate: "gate-x").isEmpty)
        let status = try cluster.edgeStatus("gate-x")
        #expect(!status.connected)
        #expect(status.health.bufferDepth == 1)
        #expect(status.problems.contains { $0.contains("central unreachable") })
    }

    @Test("central answers a revoked key's messages on its live connection with error revoked and refuses its new connections at ZAP; the revoked gate decides offline and the others carry on")
    func revokedGateIsCutOff() throws {
        let cluster = try Self.twoGates()
        let raw = try cluster.rawGate("gate-r")
        try raw.send(.heartbeat(PermitSizes.health()))
        #expect(try raw.receive(timeout: 10) { if case .heartbeatAck = $0 { true } else { false } } != nil, "served before the revocation")

        _ = try cluster.centralCLI(["gates", "revoke", "gate-r"])
        _ = try cluster.centralCLI(["gates", "revoke", "gate-b"])
        // The live connection: once central has seen the revocation (within a second), it answers only to say revoked.
        var answer: CentralMessage?
        let deadline = Date().addingTimeInterval(10)
        repeat {
            try raw.send(.heartbeat(PermitSizes.health()))
            answer = try raw.receive(timeout: 1) { if case .changes = $0 { false } else { true } }
            if case .heartbeatAck? = answer { answer = nil }
        } while answer == nil && Date() < deadline
        guard case .error(let error, let inReplyTo)? = answer else {
            Issue.record("a revoked key's heartbeat got \(String(describing: answer)) instead of error revoked")
            return
        }
        #expect(error.code == .revoked)
        #expect(inReplyTo == "heartbeat")
        // A new connection with the same key: ZAP refuses the handshake, so nothing ever answers.
        let keys = try KeyFile.read(path: cluster.edgeData("gate-r") + "/gate.key")
        let centralKey = try KeyFile.read(path: cluster.centralData + "/central.pub")
        let again = try RawGate(endpoint: cluster.endpoint, centralKey: centralKey.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey!)
        try again.send(.heartbeat(PermitSizes.health()))
        try cluster.waitUntil("central logs refusing gate-r's new connection", timeout: 15) {
            cluster.log(cluster.centralLog).split(separator: "\n").contains { $0.contains("refused a revoked gate key") && $0.contains("gate-r") }
        }
        #expect(try again.receive(timeout: 3) == nil, "a refused connection gets no answer at all")

        // The real revoked gate knows, and keeps deciding offline.
        try cluster.waitUntil("gate-b knows it is revoked", timeout: 15) {
            let status = try cluster.edgeStatus("gate-b")
            return !status.connected && status.problems.contains { $0.contains("revoked") }
        }
        #expect(try cluster.inject("gate-b", "5555KTV").decision == .violation)
        _ = try cluster.inject("gate-a", "6666KTV")
        try cluster.waitUntil("gate-a still uploads", timeout: 10) { try cluster.centralEventSeqs(gate: "gate-a").count == 1 }
        #expect(try cluster.centralEventSeqs(gate: "gate-b").isEmpty)
        #expect(try cluster.edgeStatus("gate-b").health.bufferDepth == 1)
        let status = try cluster.centralCLI(["status", "--json"])
        #expect(!status.contains("\"gate-b\""))
    }

    @Test("bollardctl keygen writes a 0600 secret key and a public key central accepts")
    func keygenWritesPrivateFiles() throws {
        let cluster = try Cluster()
        let base = cluster.root.appendingPathComponent("tech").path
        let result = try cluster.run("bollardctl", ["keygen", base])
        #expect(result.status == 0)
        let secretMode = try FileManager.default.attributesOfItem(atPath: base + ".key")[.posixPermissions] as? Int
        #expect(secretMode == 0o600)
        #expect(try cluster.centralCLI(["gates", "register", "--id", "tech", "--key", base + ".pub"]).contains("registered"))
        // A second keygen never overwrites a secret key.
        #expect(try cluster.run("bollardctl", ["keygen", base]).status != 0)
        #expect(try cluster.run("bollard-central", ["gates", "register", "--id", "x", "--key", "not-a-key", "--data-dir", cluster.centralData]).status != 0)
    }

    @Test("a gate offline while permits change catches up after reconnecting")
    func offlineGateCatchesUp() throws {
        let cluster = try Self.twoGates()
        cluster.signalEdge("gate-b", SIGTERM)
        for number in 0..<25 {
            _ = try cluster.centralCLI(["permits", "add", "--id", "Q-\(number)", "--plate", String(format: "%04dKTV", number)])
        }
        _ = try cluster.centralCLI(["permits", "revoke", "Q-3"])
        let head = try cluster.centralHeadSeq()
        try cluster.waitUntil("gate-a in step", timeout: 10) { try cluster.edgeStatus("gate-a").health.permitSeq == head }

        try cluster.startEdge("gate-b")
        try cluster.waitUntil("gate-b caught up", timeout: 15) { try cluster.edgeStatus("gate-b").health.permitSeq == head }
        #expect(try cluster.edgeStatus("gate-b").permitCount == 25)
        #expect(try cluster.inject("gate-b", "0007KTV").decision == .authorised)
        #expect(try cluster.inject("gate-b", "0003KTV").decision == .violation)
    }

    @Test("a new gate far behind a large permit set installs a paged snapshot")
    func newGateInstallsSnapshot() throws {
        let cluster = try Cluster()
        // 60,000 permits: more changes than central serves as a change list (50,000), so the gate must snapshot.
        let rows = (0..<60_000).map { "S\($0),\(String(format: "%04d", $0 % 10_000))\(["BCD", "FGH", "JKL", "MNP", "RST", "VWX"][$0 / 10_000]),resident,casco-viejo,2026-01-01,,,,active," }
        let csv = cluster.root.appendingPathComponent("permits.csv").path
        try (["id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder"] + rows).joined(separator: "\n")
            .write(toFile: csv, atomically: true, encoding: .utf8)
        _ = try cluster.centralCLI(["permits", "import", csv])
        try cluster.startCentral()
        try cluster.prepareEdge("gate-new")
        try cluster.startEdge("gate-new")
        try cluster.waitUntil("snapshot installed", timeout: 90) { try cluster.edgeStatus("gate-new").health.permitSeq == 60_000 }
        #expect(try cluster.edgeStatus("gate-new").permitCount == 60_000)
        #expect(cluster.log(cluster.edgeData("gate-new") + ".log").contains("permit snapshot installed"))
        #expect(try cluster.inject("gate-new", "0042RST").decision == .authorised)
    }

    @Test("camera path: image frames through the recogniser become decisions at the gate and events at central")
    func framesBecomeEvents() throws {
        let cluster = try Cluster()
        _ = try cluster.centralCLI(["permits", "add", "--id", "CAM-1", "--plate", "BI 4688 HR"])
        try cluster.startCentral()
        try cluster.prepareEdge("gate-cam")
        // Wait for the permit before the frames play, so the decision is made with it.
        try cluster.startEdge("gate-cam")
        try cluster.waitUntil("gate holds the permit", timeout: 20) { try cluster.edgeStatus("gate-cam").permitCount == 1 }
        cluster.signalEdge("gate-cam", SIGTERM)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/PlateRecognition").path
        try cluster.startEdge("gate-cam", extra: ["--frames-dir", fixtures, "--frame-interval-ms", "20"])
        try cluster.waitUntil("events from the frames reach central", timeout: 60) {
            let rows = try cluster.centralDatabase().read { db in
                try String.fetchAll(db, sql: "SELECT kind FROM events WHERE gate_id = 'gate-cam' AND plate = 'BI4688HR'")
            }
            return rows == ["authorised"]
        }
        #expect(try cluster.edgeStatus("gate-cam").health.lastFrameMilliseconds != nil)
    }

    @Test("garbage on central's port crashes nothing, and the gates keep syncing")
    func garbageOnCentralPort() throws {
        let cluster = try Self.twoGates()

        // 1. Raw bytes on the TCP port: random data, a truncated ZMTP greeting.
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            let bytes: [UInt8] = round % 2 == 0
                ? (0..<Int.random(in: 1...4096, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                : [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3]
            try Self.sendRaw(bytes, port: cluster.port)
        }

        // 2. An authenticated gate that sends nonsense.
        try cluster.prepareEdge("gate-z")
        let keys = try KeyFileReader.pair(cluster.edgeData("gate-z") + "/gate.key")
        let central = try KeyFileReader.pair(cluster.centralData + "/central.pub")
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.makeCurveClient(serverPublicKey: central.public, publicKey: keys.public, secretKey: keys.secret!)
        try socket.connect(cluster.endpoint)

        func exchange(_ frames: [[UInt8]]) throws -> CentralMessage? {
            try socket.send(frames)
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                if try !ZMQPoller.poll([socket], timeoutMilliseconds: 100)[0].isEmpty, let reply = try socket.receive() {
                    let message = try WireCodec.decodeCentralMessage(reply.frames.last ?? [])
                    if case .changes = message { continue }  // pushes may interleave
                    return message
                }
            }
            return nil
        }
        func errorCode(_ frame: String) throws -> WireError.Code? {
            guard case .error(let error, _)? = try exchange([Array(frame.utf8)]) else { return nil }
            return error.code
        }
        #expect(try errorCode("this is not json") == .malformed)
        #expect(try errorCode("{\"v\": 1, \"type\": \"events\", \"events\": [{\"seq\": 1") == .malformed)
        #expect(try errorCode("{\"v\": 1, \"type\": \"launch_missiles\"}") == .unknownType)
        #expect(try errorCode("{\"v\": 99, \"type\": \"hello\"}") == .unsupportedVersion)
        #expect(try errorCode("{\"v\": 1, \"type\": \"hello\", \"versions\": [7], \"software\": \"x\", \"permit_seq\": 0}") == .unsupportedVersion)
        #expect(try errorCode("{\"v\": 1, \"type\": \"events\", \"events\": [{\"seq\": 0, \"at_ms\": 1, \"kind\": \"authorised\", \"confidence\": 1}]}") == .invalid)
        #expect(try errorCode("[1, 2, 3]") == .malformed)
        if case .error(let error, _)? = try exchange([Array("a".utf8), Array("b".utf8)]) {
            #expect(error.code == .malformed)
        } else {
            Issue.record("a two-frame message got no error")
        }
        // An oversized frame: libzmq drops the connection; nothing reaches central's decoder.
        try socket.send([[UInt8](repeating: 0x7B, count: 2 << 20)], dontWait: true)

        // Central is alive and the real gates still sync.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(cluster.central?.isRunning == true)
        _ = try cluster.centralCLI(["permits", "add", "--id", "G-1", "--plate", Self.plate])
        let head = try cluster.centralHeadSeq()
        try cluster.waitUntil("gates still syncing", timeout: 10) {
            try ["gate-a", "gate-b"].allSatisfy { try cluster.edgeStatus($0).health.permitSeq == head }
        }
        #expect(try cluster.inject("gate-a", Self.plate).decision == .authorised)
    }

    static func sendRaw(_ bytes: [UInt8], port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw ClusterError("cannot connect to central's port") }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

/// Reads key files for the raw test client.
enum KeyFileReader {
    static func pair(_ path: String) throws -> (public: String, secret: String?) {
        let file = try KeyFile.read(path: path)
        return (file.publicKey, file.secretKey)
    }
}
