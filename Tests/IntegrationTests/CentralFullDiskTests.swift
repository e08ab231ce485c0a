import Foundation
import Testing
import TestSupport

/// Central's disk fills up: it must not crash, must not acknowledge what it
/// could not store, and must take everything, exactly once, when space returns.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CentralFullDiskTests {
    struct Skip: Error {}

    @Test(
        "central on a full disk stays up and acknowledges nothing it could not store; freed, it holds every event exactly once",
        .enabled(if: !TestEngine.isPostgres, "central's SQLite file on a small filesystem; PostgreSQL's disk is the server's"))
    func fullDiskLosesNothing() throws {
        let cluster = try Cluster()
        // Central's data folder is a small filesystem of its own.
        try FileManager.default.createDirectory(atPath: cluster.centralData, withIntermediateDirectories: true)
        guard let disk = SmallFilesystem(bytes: 16 << 20, at: cluster.centralData) else {
            withKnownIssue("neither tmpfs nor a loop image could be mounted here") { throw Skip() }
            return
        }
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")
        try cluster.waitUntil("gate-a connected", timeout: 20) { try cluster.edgeStatus("gate-a").connected }
        var injected = 0
        func inject(_ count: Int) throws {
            for _ in 0..<count {
                injected += 1
                _ = try cluster.inject("gate-a", String(format: "%04dKTV", injected % 10_000))
            }
        }
        try inject(5)
        try cluster.waitUntil("the first events acknowledged", timeout: 10) { try cluster.edgeStatus("gate-a").health.bufferDepth == 0 }

        disk.fill()
        // Keep deciding until central stops taking events (SQLite may first reuse WAL space it already holds).
        var refused = false
        for _ in 0..<40 where !refused {
            try inject(50)
            Thread.sleep(forTimeInterval: 1.5)
            refused = try cluster.edgeStatus("gate-a").health.bufferDepth > 0
        }
        #expect(refused, "central kept acknowledging 2,000 events on a full disk")
        Thread.sleep(forTimeInterval: 2)
        #expect(cluster.central?.isRunning == true, "central died on a full disk")
        let waiting = try cluster.edgeStatus("gate-a").health.bufferDepth
        #expect(waiting > 0)
        let log = cluster.log(cluster.centralLog)
        let said = log.split(separator: "\n").filter { $0.contains("disk is full") }
        #expect(!said.isEmpty, "central's log does not say the disk is full")

        disk.free()
        try cluster.waitUntil("every event acknowledged once space returned", timeout: 60) { try cluster.edgeStatus("gate-a").health.bufferDepth == 0 }
        let seqs = try cluster.centralEventSeqs(gate: "gate-a")
        #expect(seqs == Array(1...Int64(injected)), "central holds \(seqs.count) of \(injected) events, or some twice")
        #expect(cluster.central?.isRunning == true)
    }
}
