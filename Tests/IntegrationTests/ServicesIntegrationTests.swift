import BollardSupport
import Foundation
import TestSupport
import GRDB
import Testing
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The daemons as service groups, seen from outside: what systemd receives
/// on NOTIFY_SOCKET, how the process exits, and the technician's socket.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ServicesIntegrationTests {
    @Test("a stalled sync loop stops the watchdog pings and STATUS names it, while a healthy gate keeps pinging")
    func stalledSyncStopsWatchdog() async throws {
        // WATCHDOG_USEC 0.4 s: a ping every 0.2 s. The sync loop's deadline is 10 s.
        let healthy = try LoneGate(watchdogUsec: 400_000)
        let stalled = try LoneGate(environment: ["BOLLARD_TEST_FAULT": "stall-sync"], watchdogUsec: 400_000)
        #expect(try await healthy.notify.wait(for: "READY=1", timeout: .seconds(20)) != nil)
        // The stalled gate is alive at first: its sync loop is within its deadline.
        #expect(try await stalled.notify.wait(for: "WATCHDOG=1", timeout: .seconds(20)) != nil)

        let status = try #require(try await stalled.notify.wait(for: "STATUS=stalled", timeout: .seconds(30)))
        #expect(status.text.contains("loop sync"))
        try await Task.sleep(for: .seconds(1.5))  // seven watchdog periods
        #expect(stalled.notify.pings(after: status.at) == 0)
        #expect(healthy.notify.pings(after: status.at) >= 4)
        #expect(healthy.notify.messages.allSatisfy { !$0.text.contains("stalled") })
        #expect(stalled.log.contains("loop stalled; watchdog pings stopped"))
        // Everything else on the stalled gate still works: only the watchdog tells.
        #expect(try stalled.status().gate.id == "lone")
    }

    @Test("a read source that throws ends the gate process with a non-zero exit status", arguments: ["missing-file", "throw-source"])
    func throwingSourceEndsGate(fault: String) throws {
        let replay = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-replay-\(UUID().uuidString.prefix(8)).jsonl").path
        if fault == "throw-source" { try "{\"after_ms\": 10, \"plate\": \"4821KTV\"}\n".write(toFile: replay, atomically: true, encoding: .utf8) }
        defer { try? FileManager.default.removeItem(atPath: replay) }
        let gate = try LoneGate(
            arguments: ["--replay-file", replay], environment: fault == "throw-source" ? ["BOLLARD_TEST_FAULT": "throw-source"] : [:])
        let status = try #require(gate.exitStatus(within: 30), "the gate kept running after its read source threw")
        #expect(status != 0)
        #expect(gate.process.terminationReason == .exit)
        #expect(gate.log.contains("read source failed; stopping the gate"))
    }

    @Test("a replay file that simply ends does not stop the gate, and SIGTERM then exits 0 with STOPPING=1")
    func endedReplayKeepsGate() async throws {
        let replay = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-replay-\(UUID().uuidString.prefix(8)).jsonl").path
        let lines = ["4821KTV", "1234BCD", "5678FGH"].map { "{\"after_ms\": 20, \"plate\": \"\($0)\", \"confidence\": 0.97}" }
        try lines.joined(separator: "\n").write(toFile: replay, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: replay) }
        let gate = try LoneGate(arguments: ["--replay-file", replay], watchdogUsec: 400_000)
        try waitUntil(timeout: 20) { try gate.status().health.bufferDepth == 3 && gate.log.contains("read source ended") }
        let ended = ContinuousClock.now
        try await Task.sleep(for: .seconds(1))
        #expect(gate.process.isRunning)
        #expect(try gate.status().health.bufferDepth == 3)
        // The ended source is retired: the watchdog does not count it as stalled.
        #expect(gate.notify.pings(after: ended) >= 3)
        kill(gate.process.processIdentifier, SIGTERM)
        #expect(gate.exitStatus(within: 15) == 0)
        #expect(gate.notify.messages.contains { $0.text == "STOPPING=1" })
        #expect(!gate.log.contains("did not stop in time"))
    }

    @Test("one client holding the technician's socket does not keep bollardctl status from its prompt answer")
    func heldSocketDoesNotBlockBollardctl() throws {
        let gate = try LoneGate()
        try waitUntil(timeout: 20) { (try? gate.status()) != nil }
        let holder = try RawLineClient(path: gate.socket)
        let status = String(decoding: WireCodec.encode(DiagnosticsRequest.status), as: UTF8.self)
        holder.send(status + "\n")
        #expect(holder.readLine()?.contains("\"ok\":true") == true)
        holder.send("{\"cmd\": \"sta")  // and now it stalls mid-request, connection open
        let cluster = try Cluster()
        let started = ContinuousClock.now
        let result = try cluster.run("bollardctl", ["status", "--json", "--socket", gate.socket])
        #expect(result.status == 0)
        #expect(result.output.contains("\"lone\""))
        #expect(started.duration(to: .now) < .seconds(3))
        holder.send("tus\"}\n")
        #expect(holder.readLine()?.contains("\"ok\":true") == true)
    }

    @Test("a stalled gate server loop stops central's watchdog pings and STATUS names it; SIGTERM still ends central")
    func stalledGateServerStopsWatchdog() async throws {
        let cluster = try Cluster()
        let notify = try NotifyListener(path: cluster.root.appendingPathComponent("notify.sock").path)
        defer { notify.close() }
        let central = Process()
        central.executableURL = Cluster.binDirectory.appendingPathComponent("bollard-central")
        central.arguments = ["run", "--data-dir", cluster.centralData, "--gate-endpoint", cluster.endpoint, "--log-level", "info"]
        central.environment = ProcessInfo.processInfo.environment.merging([
            "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000", "BOLLARD_TEST_FAULT": "stall-gate-server",
        ]) { $1 }
        try central.run()
        defer { if central.isRunning { kill(central.processIdentifier, SIGKILL); central.waitUntilExit() } }
        #expect(try await notify.wait(for: "READY=1", timeout: .seconds(20)) != nil)
        #expect(try await notify.wait(for: "WATCHDOG=1", timeout: .seconds(20)) != nil)
        let status = try #require(try await notify.wait(for: "STATUS=stalled", timeout: .seconds(30)))
        #expect(status.text.contains("loop gate-server"))
        #expect(!status.text.contains("health-flusher") && !status.text.contains("retention"))
        try await Task.sleep(for: .seconds(1.5))
        #expect(notify.pings(after: status.at) == 0)
        // The stuck thread is left behind after its join limit; central still exits.
        kill(central.processIdentifier, SIGTERM)
        try waitUntil(timeout: 20) { !central.isRunning }
        #expect(notify.messages.contains { $0.text == "STOPPING=1" })
    }

    @Test("gate health reaches central's store through the health flusher, and SIGTERM ends central with status 0")
    func healthFlusherStoresHealth() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")
        func lastSeen() throws -> Int64? {
            try cluster.centralDatabase().read { db in
                try Int64.fetchOne(db, sql: "SELECT last_seen_ms FROM gate_health WHERE gate_id = 'gate-a'")
            }
        }
        try waitUntil(timeout: 20) { try lastSeen() != nil }
        let first = try #require(try lastSeen())
        // Heartbeats every 0.2 s: the stored health keeps moving.
        try waitUntil(timeout: 10) { try (lastSeen() ?? 0) > first }
        let process = try #require(cluster.central)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        #expect(!cluster.log(cluster.centralLog).contains("could not save gate health"))
    }

    func waitUntil(timeout: Double, _ condition: () throws -> Bool) throws {
        let end = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < end {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ClusterError("timed out after \(timeout) s")
    }
}
