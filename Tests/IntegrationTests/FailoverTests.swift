import BollardSupport
import Foundation
import GRDB
import TestSupport
import Testing
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

extension Cluster {
    /// Another `bollard-central run` on this cluster's data folder, listening on `port`.
    @discardableResult
    func startCentralInstance(port: Int, extra: [String] = []) throws -> Process {
        let process = try launch(
            "bollard-central", ["run", "--data-dir", centralData, "--gate-endpoint", "tcp://127.0.0.1:\(port)", "--log-level", "info"] + extra,
            log: centralInstanceLog(port))
        otherCentrals[port] = process
        return process
    }

    func centralInstanceLog(_ port: Int) -> String { root.appendingPathComponent("central-\(port).log").path }

    /// How many events central holds per (origin, seq) of `gate` more than once, and in all.
    func centralEventTally(gate: String) throws -> (total: Int, distinct: Int) {
        try centralDatabase().read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE gate_id = ?", arguments: [gate]) ?? 0
            let distinct = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM (SELECT DISTINCT origin, seq FROM events WHERE gate_id = ?) AS identities", arguments: [gate]) ?? 0
            return (total, distinct)
        }
    }
}

/// Issue 13, point 3: gates fail over between central instances that share one
/// data folder (one SQLite database in WAL mode), with real processes.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct FailoverTests {
    static func plate(_ number: Int) -> String { "\(1000 + number % 9000)BCD" }

    @Test("SIGKILL of one central instance during an upload burst: its gate fails over within 10 s and every event is at central exactly once")
    func failoverDuringBurst() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        let portB = try Cluster.freePort()
        try cluster.startCentralInstance(port: portB)
        let (a, b) = (cluster.endpoint, "tcp://127.0.0.1:\(portB)")
        try cluster.prepareEdge("gate-a")
        // The default heartbeat (1 s), so the failover time measured is the one a street gate has.
        try cluster.startEdge("gate-a", heartbeatInterval: 1, centralEndpoints: [a, b])
        try cluster.waitUntil("gate-a connected", timeout: 20) { try cluster.edgeStatus("gate-a").connected }
        #expect(try cluster.edgeStatus("gate-a").centralEndpoint == a, "the first endpoint listed is used first")

        var seqs: [Int64] = []
        func injectOne() throws {
            let reply = try cluster.inject("gate-a", Self.plate(seqs.count))
            seqs.append(try #require(reply.eventSeq))
        }
        for _ in 0..<300 { try injectOne() }
        let unsentAtKill = try cluster.edgeStatus("gate-a").health.bufferDepth
        cluster.killCentral()
        let killedAt = Date()
        // Reads keep coming while the gate looks for central: they wait in its buffer.
        var failedOverAfter: Double?
        var unsentWhileAway = 0
        while Date().timeIntervalSince(killedAt) < 20 {
            try injectOne()
            let status = try cluster.edgeStatus("gate-a")
            unsentWhileAway = max(unsentWhileAway, status.health.bufferDepth)
            if status.connected, status.centralEndpoint == b {
                failedOverAfter = Date().timeIntervalSince(killedAt)
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let failover = try #require(failedOverAfter, "gate-a never connected to the second central")
        print("failover: gate connected to the second central \(String(format: "%.2f", failover)) s after SIGKILL; "
            + "\(unsentAtKill) events unacknowledged at the kill, up to \(unsentWhileAway) while away")
        #expect(failover <= 10, "failed over in \(failover) s")
        #expect(unsentWhileAway > 0, "events waited in the buffer while no central answered")
        for _ in 0..<100 { try injectOne() }

        try cluster.waitUntil("gate-a's buffer drained at the second central", timeout: 30) {
            try cluster.edgeStatus("gate-a").health.bufferDepth == 0
        }
        let atCentral = try cluster.centralEventSeqs(gate: "gate-a")
        #expect(atCentral == seqs.sorted(), "every event once: \(atCentral.count) at central, \(seqs.count) decided")
        let tally = try cluster.centralEventTally(gate: "gate-a")
        #expect(tally.total == seqs.count && tally.distinct == seqs.count)
        #expect(try cluster.centralConflictCount() == 0)

        let status = try cluster.edgeStatus("gate-a")
        #expect(status.failovers == 1 && status.centralEndpoints == [a, b])
        let sync = try #require(try cluster.ask("gate-a", .sync).sync)
        #expect(sync.endpoint == b && sync.failovers == 1)
        let words = try cluster.run("bollardctl", ["sync", "--socket", cluster.edgeSocket("gate-a")])
        #expect(words.output.contains("central \(b): connected"), "\(words.output)")
        #expect(words.output.contains("endpoint 2 of 2 (\(a), \(b)); 1 failover since start"), "\(words.output)")
        #expect(cluster.log(cluster.edgeData("gate-a") + ".log").contains("failing over to the next central endpoint"))
    }

    /// A host that vanishes, or a network that fails, closes no connection: the gate's
    /// messages may still arrive while nothing comes back. The partition here is a relay that
    /// keeps passing the gate's bytes to the first instance and drops every answer.
    @Test("the network to one central instance fails with its connection open: the gate moves within 10 s, and events that instance stored without its acknowledgement reaching the gate are stored once")
    func failoverAcrossAPartition() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        let portB = try Cluster.freePort()
        try cluster.startCentralInstance(port: portB)
        let portA = try #require(Int(cluster.endpoint.split(separator: ":").last ?? ""))
        let partition = try PartitionProxy(to: portA)
        defer { partition.close() }
        let (a, b) = (partition.endpoint, "tcp://127.0.0.1:\(portB)")
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a", heartbeatInterval: 1, centralEndpoints: [a, b])
        try cluster.waitUntil("gate-a connected", timeout: 20) { try cluster.edgeStatus("gate-a").connected }

        var seqs: [Int64] = []
        func injectOne() throws { seqs.append(try #require(try cluster.inject("gate-a", Self.plate(seqs.count)).eventSeq)) }
        for _ in 0..<100 { try injectOne() }
        try cluster.waitUntil("the first 100 acknowledged", timeout: 20) { try cluster.edgeStatus("gate-a").health.bufferDepth == 0 }
        partition.cutAnswers()
        let cutAt = Date()
        for _ in 0..<20 { try injectOne() }
        Thread.sleep(forTimeInterval: 1)
        // The first instance stored what the gate sent after the cut; the gate heard no acknowledgement.
        let storedUnacknowledged = try cluster.centralEventSeqs(gate: "gate-a").count - 100
        #expect(storedUnacknowledged > 0, "the cut came before any upload: the test proves nothing")
        #expect(try cluster.edgeStatus("gate-a").health.bufferDepth >= storedUnacknowledged)
        var movedAfter: Double?
        while Date().timeIntervalSince(cutAt) < 20 {
            try injectOne()  // stored by the first instance; its acknowledgements are lost
            let status = try cluster.edgeStatus("gate-a")
            if status.connected, status.centralEndpoint == b {
                movedAfter = Date().timeIntervalSince(cutAt)
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let moved = try #require(movedAfter, "gate-a never moved off the partitioned central")
        print("partition: gate moved to the second instance \(String(format: "%.2f", moved)) s after the answers stopped")
        #expect(moved <= 10, "moved after \(moved) s")
        for _ in 0..<50 { try injectOne() }
        try cluster.waitUntil("gate-a's buffer drained at the second central", timeout: 30) {
            try cluster.edgeStatus("gate-a").health.bufferDepth == 0
        }
        let tally = try cluster.centralEventTally(gate: "gate-a")
        #expect(tally.total == seqs.count && tally.distinct == seqs.count, "\(tally) for \(seqs.count) events")
        #expect(try cluster.centralEventSeqs(gate: "gate-a") == seqs.sorted())
        #expect(try cluster.centralConflictCount() == 0)
        #expect(try cluster.edgeStatus("gate-a").failovers == 1)
        print("partition: \(storedUnacknowledged) events stored by the first instance without the gate hearing it; each stored once")
    }

    @Test("two central instances started at once on a new data folder both serve, and a permit change reaches gates on both within a second")
    func twoInstancesShareOneFolder() throws {
        let cluster = try Cluster()
        let portB = try Cluster.freePort()
        // At the same moment, on a folder that does not exist yet: migrations and keys under the folder's lock.
        try cluster.startCentralInstance(port: portB)
        try cluster.startCentral()
        let (a, b) = (cluster.endpoint, "tcp://127.0.0.1:\(portB)")
        try cluster.prepareEdge("gate-a")
        try cluster.prepareEdge("gate-b")
        try cluster.startEdge("gate-a", centralEndpoints: [a, b])
        try cluster.startEdge("gate-b", centralEndpoints: [b, a])
        do {
            try cluster.waitUntil("both gates connected", timeout: 20) {
                try cluster.edgeStatus("gate-a").connected && cluster.edgeStatus("gate-b").connected
            }
        } catch {
            for log in [cluster.centralLog, cluster.centralInstanceLog(portB), cluster.edgeData("gate-a") + ".log", cluster.edgeData("gate-b") + ".log"] {
                print("== \(log)\n\(cluster.log(log).suffix(3000))")
            }
            for gate in ["gate-a", "gate-b"] {
                print("== \(gate): \(String(describing: try? cluster.run("bollardctl", ["sync", "--socket", cluster.edgeSocket(gate)]).output))")
                print((try? String(contentsOfFile: cluster.edgeData(gate) + "/central.pub", encoding: .utf8)) ?? "no central.pub")
            }
            print((try? String(contentsOfFile: cluster.centralData + "/central.pub", encoding: .utf8)) ?? "no central.pub")
            throw error
        }
        #expect(try cluster.edgeStatus("gate-a").centralEndpoint == a)
        #expect(try cluster.edgeStatus("gate-b").centralEndpoint == b)
        #expect(cluster.central?.isRunning == true && cluster.otherCentrals[portB]?.isRunning == true)

        for number in 0..<3 {
            _ = try cluster.centralCLI(["permits", "add", "--id", "F-\(number)", "--plate", "\(7000 + number)BCD"])
            let written = Date()
            let head = try cluster.centralHeadSeq()
            try cluster.waitUntil("both gates hold permit seq \(head)", timeout: 5) {
                try cluster.edgeStatus("gate-a").health.permitSeq == head && cluster.edgeStatus("gate-b").health.permitSeq == head
            }
            let elapsed = Date().timeIntervalSince(written)
            print("permit change \(head) reached gates on both instances in \(String(format: "%.3f", elapsed)) s")
            #expect(elapsed < 1, "took \(elapsed) s")
        }
        #expect(try cluster.inject("gate-a", "7001BCD").decision == .authorised)
        #expect(try cluster.inject("gate-b", "7002BCD").decision == .authorised)

        // Each instance serves its gates: the events of both are in the one database.
        try cluster.waitUntil("both gates' events at central", timeout: 10) {
            try cluster.centralEventSeqs(gate: "gate-a").count == 1 && cluster.centralEventSeqs(gate: "gate-b").count == 1
        }
        // Central's status (read from the shared database) has heard from both gates.
        try cluster.waitUntil("status shows both gates reporting", timeout: 15) {
            let a = try cluster.centralGateStatus("gate-a"), b = try cluster.centralGateStatus("gate-b")
            return a["state"] as? String == "ok" && b["state"] as? String == "ok"
        }
        for log in [cluster.centralLog, cluster.centralInstanceLog(portB)] {
            #expect(!cluster.log(log).contains("error"), "\(cluster.log(log))")
        }
    }

    @Test("two central instances on one database post each webhook notification once between them")
    func webhooksOnceWithTwoInstances() throws {
        let cluster = try Cluster()
        let receiver = try HTTPReceiver(statuses: [204])
        _ = try cluster.centralCLI(["webhooks", "add", "--id", "council", "--url", receiver.url])
        let portB = try Cluster.freePort()
        try cluster.startCentral()
        try cluster.startCentralInstance(port: portB)
        for number in 0..<20 {
            _ = try cluster.centralCLI(["permits", "add", "--id", "W-\(number)", "--plate", "\(6000 + number)BCD"])
        }
        try cluster.waitUntil("20 notifications posted", timeout: 30) { receiver.requests.count >= 20 }
        // Both delivery loops run every second: give a second post the time to happen.
        Thread.sleep(forTimeInterval: 3)
        let ids = receiver.requests.compactMap { $0.headers["bollard-delivery"] }
        #expect(ids.count == 20, "posted \(ids.count) times for 20 notifications")
        #expect(Set(ids).count == 20)
    }
}
