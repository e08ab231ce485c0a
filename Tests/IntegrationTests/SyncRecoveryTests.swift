import BollardSupport
import Foundation
import TestSupport
import Testing
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Issue 7: the four ways sync recovers, each once with real processes: a gate
/// that missed pushes, a central behind its gates, a socket that must be renewed,
/// and a batch whose ack never came.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SyncRecoveryTests {
    static func connectedGate(_ cluster: Cluster, _ id: String, heartbeatInterval: Double) throws {
        try cluster.prepareEdge(id)
        try cluster.startEdge(id, heartbeatInterval: heartbeatInterval)
        try cluster.waitUntil("\(id) connected", timeout: 20) { try cluster.edgeStatus(id).connected }
    }

    @Test("a gate that misses the pushes of five changes while stopped holds central's exact permit set within two heartbeats of resuming")
    func missedPushesAreCaughtUp() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try Self.connectedGate(cluster, "gate-a", heartbeatInterval: 1)
        _ = try cluster.centralCLI(["permits", "add", "--id", "G-0", "--plate", "1000BCD"])
        try cluster.waitUntil("gate-a holds the first permit", timeout: 10) { try cluster.edgeStatus("gate-a").health.permitSeq == 1 }

        cluster.signalEdge("gate-a", SIGSTOP)
        let stoppedAt = Date()
        for number in 1...4 {
            _ = try cluster.centralCLI(["permits", "add", "--id", "G-\(number)", "--plate", "\(1000 + number)BCD"])
        }
        // Past central's 3 s ZMTP heartbeat timeout the gate's connection is gone: this push cannot reach it.
        Thread.sleep(forTimeInterval: max(0, 4 - Date().timeIntervalSince(stoppedAt)))
        _ = try cluster.centralCLI(["permits", "revoke", "G-0"])
        let head = try cluster.centralHeadSeq()
        #expect(head == 6)
        #expect(try cluster.edgePermits("gate-a").count == 1, "the stopped gate holds none of the new changes yet")

        cluster.signalEdge("gate-a", SIGCONT)
        let resumedAt = Date()
        try cluster.waitUntil("gate-a caught up", timeout: 15) { try cluster.edgeStatus("gate-a").health.permitSeq == head }
        let elapsed = Date().timeIntervalSince(resumedAt)
        #expect(elapsed < 2.5, "caught up \(elapsed) s after resuming; heartbeats are 1 s")
        #expect(try cluster.edgePermits("gate-a") == cluster.centralPermits())
        #expect(try cluster.inject("gate-a", "1000BCD").decision == .violation)
        #expect(try cluster.inject("gate-a", "1004BCD").decision == .authorised)
    }

    @Test("central answers a sync from an old sequence with every later change, consecutive and complete")
    func syncFromOldSequenceGetsConsecutiveChanges() throws {
        let cluster = try Cluster()
        for number in 0..<8 {
            _ = try cluster.centralCLI(["permits", "add", "--id", "C-\(number)", "--plate", "\(2000 + number)BCD"])
        }
        _ = try cluster.centralCLI(["permits", "suspend", "C-2"])
        try cluster.startCentral()
        let raw = try cluster.rawGate("gate-raw")
        try raw.send(.sync(fromSeq: 3))
        let answer = try raw.receive(timeout: 10) { if case .changes = $0 { true } else { false } }
        guard case .changes(let changes)? = answer else {
            Issue.record("sync got no changes: \(String(describing: answer))")
            return
        }
        #expect(changes.headSeq == 9)
        #expect(changes.permits.map(\.seq) == Array(4...9))
        #expect(changes.permits.map(\.id) == ["C-3", "C-4", "C-5", "C-6", "C-7", "C-2"])
    }

    @Test(
        "a gate holding a newer permit sequence than a central restored from an older copy fetches a snapshot and ends with central's set",
        .enabled(if: !TestEngine.isPostgres, "restores central's SQLite file; PostgreSQL's backups are the server's"))
    func gateRefetchesWhenCentralIsBehind() throws {
        let cluster = try Cluster()
        _ = try cluster.centralCLI(["permits", "add", "--id", "A-1", "--plate", "1111BCD"])
        _ = try cluster.centralCLI(["permits", "add", "--id", "A-2", "--plate", "2222BCD"])
        try cluster.startCentral()
        try Self.connectedGate(cluster, "gate-a", heartbeatInterval: 0.5)
        try cluster.waitUntil("gate-a holds both permits", timeout: 10) { try cluster.edgeStatus("gate-a").health.permitSeq == 2 }

        // The backup: central's file while central is stopped.
        cluster.stopCentral()
        let database = cluster.centralData + "/central.sqlite"
        let backup = cluster.root.appendingPathComponent("central-backup").path
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: database + suffix) {
            try FileManager.default.copyItem(atPath: database + suffix, toPath: backup + "/central.sqlite" + suffix)
        }
        try cluster.startCentral()
        _ = try cluster.centralCLI(["permits", "add", "--id", "B-1", "--plate", "3333BCD"])
        _ = try cluster.centralCLI(["permits", "revoke", "A-1"])
        try cluster.waitUntil("gate-a holds the later changes", timeout: 10) { try cluster.edgeStatus("gate-a").health.permitSeq == 4 }
        #expect(try cluster.inject("gate-a", "3333BCD").decision == .authorised)

        // Central's database goes back to the copy.
        cluster.stopCentral()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: backup + "/central.sqlite" + suffix) {
            try FileManager.default.copyItem(atPath: backup + "/central.sqlite" + suffix, toPath: database + suffix)
        }
        try cluster.startCentral()
        #expect(try cluster.centralHeadSeq() == 2)
        try cluster.waitUntil("gate-a holds central's set again", timeout: 20) {
            try cluster.edgeStatus("gate-a").health.permitSeq == 2 && cluster.edgePermits("gate-a") == cluster.centralPermits()
        }
        #expect(cluster.log(cluster.edgeData("gate-a") + ".log").contains("fetching a permit snapshot"))
        #expect(try cluster.edgeStatus("gate-a").permitCount == 2)
        #expect(try cluster.inject("gate-a", "1111BCD").decision == .authorised)
        #expect(try cluster.inject("gate-a", "3333BCD").decision == .violation)
    }

    @Test("a gate started before its key was registered renews its refused socket and gets in by itself once registered")
    func gateRegisteredLateGetsIn() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-late", register: false)
        // Debug level: the log then says when the socket was renewed.
        try cluster.startEdge("gate-late", extra: ["--log-level", "debug"])
        try cluster.waitUntil("central refused the unregistered key", timeout: 15) {
            cluster.log(cluster.centralLog).contains("refused a gate key that is not registered")
        }
        #expect(try cluster.inject("gate-late", "1111BBB").decision == .violation)
        _ = try cluster.centralCLI([
            "gates", "register", "--id", "gate-late", "--zone", "casco-viejo", "--key", cluster.edgeData("gate-late") + "/gate.pub",
        ])
        let registeredAt = Date()
        // libzmq does not retry a refused handshake: only the renewal after 10 s of silence lets it in.
        try cluster.waitUntil("the gate connected by itself", timeout: 30) { try cluster.edgeStatus("gate-late").connected }
        try cluster.waitUntil("its buffered event reached central", timeout: 10) { try cluster.centralEventSeqs(gate: "gate-late") == [1] }
        #expect(Date().timeIntervalSince(registeredAt) < 25)
        #expect(cluster.log(cluster.edgeData("gate-late") + ".log").contains("sync socket renewed after silence"))
    }

    @Test("events sent to a central frozen past the ack timeout are at central exactly once, unchanged, after it resumes")
    func frozenCentralGetsEventsOnce() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try Self.connectedGate(cluster, "gate-a", heartbeatInterval: 0.5)
        cluster.signalCentral(SIGSTOP)
        defer { cluster.signalCentral(SIGCONT) }
        let frozenAt = Date()
        var plates: [String] = []
        for number in 0..<5 {
            plates.append("\(5000 + number)BCD")
            _ = try cluster.inject("gate-a", plates[number])
        }
        // Decided while the gate still counted central as connected: the first batch went out to a frozen central.
        #expect(try cluster.edgeStatus("gate-a").connected)
        let stored = try cluster.edgeEventRows("gate-a", gateStopped: false)
        #expect(stored.map(\.plate) == plates)
        // Frozen past the 5 s ack timeout: the gate's resend (and reconnection) happen meanwhile.
        Thread.sleep(forTimeInterval: max(0, 6 - Date().timeIntervalSince(frozenAt)))
        cluster.signalCentral(SIGCONT)
        try cluster.waitUntil("the gate's buffer drained", timeout: 30) { try cluster.edgeStatus("gate-a").health.bufferDepth == 0 }
        #expect(try cluster.centralEventRows(gate: "gate-a") == stored, "every event once, as the gate stored it")
        #expect(try cluster.centralConflictCount() == 0)
    }

    @Test("a gate that gets no ack for a batch within 5 s sends its events again on the same connection, and no more once they are acked")
    func unackedBatchIsResent() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-a")  // makes central's key pair; central itself never runs
        let centralKey = try KeyFile.read(path: cluster.centralData + "/central.key")
        let fake = try FakeCentral(endpoint: cluster.endpoint, secretKey: centralKey.secretKey!)
        defer { fake.stop() }
        try cluster.startEdge("gate-a", heartbeatInterval: 0.5)
        try cluster.waitUntil("the gate talks to the stand-in central", timeout: 20) { try cluster.edgeStatus("gate-a").connected }
        for plate in ["1111BCD", "2222BCD", "3333BCD"] { _ = try cluster.inject("gate-a", plate) }
        try cluster.waitUntil("the gate's buffer is empty: a batch was acked", timeout: 30) {
            try cluster.edgeStatus("gate-a").health.bufferDepth == 0
        }
        // One more event afterwards shows the gate moved on rather than resending.
        _ = try cluster.inject("gate-a", "4444BCD")
        try cluster.waitUntil("the next event was uploaded", timeout: 10) { fake.batches.contains { $0.seqs.contains(4) } }

        let batches = fake.batches
        let first = try #require(batches.first)
        let resends = batches.filter { $0.seqs.contains(1) }
        #expect(resends.count == 2, "the unacked batch was sent twice, then no more: \(batches.map(\.seqs))")
        if resends.count == 2 {
            // The oldest unacknowledged events again (events decided meanwhile may ride along).
            #expect(Array(resends[1].seqs.prefix(first.seqs.count)) == first.seqs)
            #expect(resends[1].peer == first.peer, "on the same connection")
            let gap = resends[1].at - first.at
            #expect(gap >= .milliseconds(4500) && gap < .seconds(9), "resent after \(gap)")
        }
        #expect(batches.filter { $0.seqs.contains(4) }.count == 1)
    }
}
