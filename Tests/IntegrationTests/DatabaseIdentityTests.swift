import Foundation
import GRDB
import Testing
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A gate that loses its database (wiped, replaced disk, restored backup) must
/// not lose the events it makes afterwards (issue 6, point 1).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DatabaseIdentityTests {
    /// Every plate central holds for a gate, in its events and in its kept conflicts.
    static func centralPlates(_ cluster: Cluster, gate: String) throws -> (events: [String], conflicts: [String]) {
        try cluster.centralDatabase().read { db in
            let events = try String.fetchAll(db, sql: "SELECT plate FROM events WHERE gate_id = ? AND plate IS NOT NULL", arguments: [gate])
            let hasConflicts = try db.tableExists("event_conflicts")
            let conflicts = hasConflicts
                ? try String.fetchAll(db, sql: "SELECT plate FROM event_conflicts WHERE gate_id = ? AND plate IS NOT NULL", arguments: [gate])
                : []
            return (events, conflicts)
        }
    }

    static func removeDatabase(_ folder: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: folder + "/edge.sqlite" + suffix) }
    }

    static func plates(_ prefix: String, _ count: Int) -> [String] { (0..<count).map { String(format: "%04d\(prefix)", $0) } }

    @Test("a gate whose edge.sqlite is wiped (key kept) gets every new violation to central")
    func wipedDatabaseLosesNothing() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")
        let before = Self.plates("BCD", 10)
        for plate in before { _ = try cluster.inject("gate-a", plate) }
        try cluster.waitUntil("first violations at central", timeout: 20) { try Self.centralPlates(cluster, gate: "gate-a").events.count == 10 }

        cluster.signalEdge("gate-a", SIGTERM)
        Self.removeDatabase(cluster.edgeData("gate-a"))
        try cluster.startEdge("gate-a")
        let after = Self.plates("FGH", 10)
        for plate in after { #expect(try cluster.inject("gate-a", plate).decision == .violation) }
        try cluster.waitUntil("buffer drained", timeout: 20) {
            let status = try cluster.edgeStatus("gate-a")
            return status.connected && status.health.bufferDepth == 0
        }
        let held = try Self.centralPlates(cluster, gate: "gate-a")
        #expect(Set(held.events) == Set(before + after), "every violation, before and after the wipe, is an event at central")
        #expect(held.conflicts.isEmpty)
    }

    @Test("a gate restored from an old backup loses nothing: colliding events are kept as conflicts and reported, new ones move past")
    func restoredBackupLosesNothing() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")
        let first = Self.plates("BCD", 5)
        for plate in first { _ = try cluster.inject("gate-a", plate) }
        try cluster.waitUntil("first batch at central", timeout: 20) { try Self.centralPlates(cluster, gate: "gate-a").events.count == 5 }

        // The backup: taken with the gate stopped.
        let folder = cluster.edgeData("gate-a")
        let backup = cluster.root.appendingPathComponent("backup").path
        cluster.signalEdge("gate-a", SIGTERM)
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: folder + "/edge.sqlite" + suffix) {
            try FileManager.default.copyItem(atPath: folder + "/edge.sqlite" + suffix, toPath: backup + "/edge.sqlite" + suffix)
        }
        try cluster.startEdge("gate-a")
        let second = Self.plates("FGH", 5)
        for plate in second { _ = try cluster.inject("gate-a", plate) }
        try cluster.waitUntil("second batch at central", timeout: 20) { try Self.centralPlates(cluster, gate: "gate-a").events.count == 10 }

        // Restored while central is away: the gate numbers its next events as the backup says, colliding with central's.
        cluster.signalEdge("gate-a", SIGTERM)
        cluster.killCentral()
        Self.removeDatabase(folder)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: backup + "/edge.sqlite" + suffix) {
            try FileManager.default.copyItem(atPath: backup + "/edge.sqlite" + suffix, toPath: folder + "/edge.sqlite" + suffix)
        }
        try cluster.startEdge("gate-a")
        let offline = Self.plates("JKL", 3)
        for plate in offline { _ = try cluster.inject("gate-a", plate) }
        try cluster.startCentral()
        try cluster.waitUntil("offline events uploaded", timeout: 30) {
            let status = try cluster.edgeStatus("gate-a")
            return status.connected && status.health.bufferDepth == 0
        }
        // Once central has answered hello, new events are numbered past what it holds.
        let online = Self.plates("MNP", 3)
        for plate in online { _ = try cluster.inject("gate-a", plate) }
        try cluster.waitUntil("online events uploaded", timeout: 20) { try cluster.edgeStatus("gate-a").health.bufferDepth == 0 }

        let held = try Self.centralPlates(cluster, gate: "gate-a")
        #expect(Set(held.events + held.conflicts) == Set(first + second + offline + online), "no violation lost")
        #expect(Set(held.events).isSuperset(of: first + second + online), "what central held is unchanged, new events are events")
        #expect(held.conflicts.count == 3, "the three colliding events are kept as conflicts")
        let status = try cluster.centralCLI(["status"])
        #expect(status.contains("3 conflicting events"), "status reports the conflicts: \(status)")
    }
}
