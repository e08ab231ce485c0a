// `bollard-bench scale` (issue 13): 300 simulated gates against real `bollard-central run`
// processes, one instance and then two sharing one data folder: durable events/s, permit
// change → held by every gate, failover time, and every event stored exactly once.
// Run through `make bench-scale` (release build). It measures; it exits non-zero only
// when something is wrong (gates never connected, events lost or stored twice).
import BollardSupport
import CentralCore
import Domain
import Evidence
import Foundation
import TestSupport
import Logging
import ZMQ

#if canImport(Glibc)
import Glibc
#endif

enum ScaleBench {
    struct Options {
        var gates = 300
        /// Backlog per gate for the ingest figure.
        var eventsPerGate = 500
        var changes = 100
        var instances = [1, 2]
        var threads = 2
        var sealed = true
        /// The stores measured: `sqlite`, `postgresql` or `both` (PostgreSQL needs a server: BOLLARD_BENCH_POSTGRES_URL,
        /// or the throwaway cluster `scripts/with-postgres` starts, as `make bench-scale` does).
        var store = "sqlite"
    }

    /// Floors of issue 13.
    static let ingestFloor = 20_000.0
    static let propagationFloorMilliseconds = 1_000.0
    static let failoverFloorSeconds = 10.0

    static let usage = "bollard-bench scale [--gates 300] [--events 500 (per gate)] [--changes 100] [--instances 1|2] [--threads 2] [--unsigned] [--store sqlite|postgresql|both]"

    static func run(arguments: [String]) throws {
        var options = Options()
        func value(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        func number(_ name: String, _ fallback: Int) -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), number > 0 else {
                print("\(name) takes a positive number, not '\(text)'\nusage: \(usage)")
                exit(2)
            }
            return number
        }
        options.gates = number("--gates", options.gates)
        options.eventsPerGate = number("--events", options.eventsPerGate)
        options.changes = number("--changes", options.changes)
        options.threads = number("--threads", options.threads)
        options.sealed = !arguments.contains("--unsigned")
        if let instances = value("--instances") {
            guard let count = Int(instances), count == 1 || count == 2 else {
                print("--instances takes 1 or 2\nusage: \(usage)")
                exit(2)
            }
            options.instances = [count]
        }
        if let store = value("--store") { options.store = store }
        guard ["sqlite", "postgresql", "both"].contains(options.store) else {
            print("--store takes sqlite, postgresql or both\nusage: \(usage)")
            exit(2)
        }
        let environment = ProcessInfo.processInfo.environment
        let postgresServer = environment["BOLLARD_BENCH_POSTGRES_URL"] ?? environment["BOLLARD_TEST_POSTGRES_URL"]
        if options.store != "sqlite", postgresServer == nil {
            print("--store \(options.store) needs a PostgreSQL server: BOLLARD_BENCH_POSTGRES_URL=postgres://USER@HOST:PORT/DB "
                + "(its role may CREATE DATABASE), or run under scripts/with-postgres")
            exit(2)
        }
        if options.instances.contains(2), options.gates < 2 {
            print("two instances need at least 2 gates (half list each instance first)")
            exit(2)
        }

        print("""
            scale: \(options.gates) simulated gates (in-process ZeroMQ DEALERs, own CURVE key each, registered at central; \
            the real wire protocol through the gate's own GateSyncStateMachine; \(options.sealed ? "events sealed with Ed25519 as real gates do" : "events unsigned"); \
            \(options.threads) threads with zmq_poll) against real `bollard-central run` processes on 127.0.0.1; load average \(loadAverage())
            failover rule (docs/protocol.md §5.1 rule 6, GateSyncStateMachine.failoverDue): a gate moves to its next endpoint when \
            central has not answered for 3 heartbeats (1 s each) and the socket monitor says the connection is down, or for 5 s whatever the monitor says
            """)
        // Each simulated gate holds several descriptors (its socket, its monitor's two PAIRs, the
        // TCP connection): 300 of them exceed the usual soft limit of 1,024.
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        var problems: [String] = []
        if options.store != "postgresql" {
            for instances in options.instances {
                problems += try measure(instances: instances, options: options, postgresServer: nil)
            }
        }
        if options.store != "sqlite", let postgresServer {
            for instances in options.instances {
                problems += try measure(instances: instances, options: options, postgresServer: postgresServer)
            }
        }
        if !problems.isEmpty {
            print("FAILED: " + problems.joined(separator: "; "))
            exit(1)
        }
    }

    // MARK: One configuration

    /// Runs one configuration (1 or 2 central instances on one fresh SQLite data folder, or on one fresh
    /// database of `postgresServer`); returns what went wrong.
    static func measure(instances: Int, options: Options, postgresServer: String?) throws -> [String] {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-bench-scale-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var keepRoot = false
        defer { if !keepRoot { try? FileManager.default.removeItem(atPath: root) } }
        let engineName = postgresServer == nil ? "SQLite" : "PostgreSQL"
        let label = "\(engineName), \(instances) instance\(instances == 1 ? "" : "s")"
        print("\n\(label): load average \(loadAverage())")

        // Central's folder the way the CLI makes it; the gates registered as real gates.
        var configuration = CentralConfiguration()
        configuration.dataDirectory = root + "/central"
        if let postgresServer {
            configuration.store = try freshDatabase(on: postgresServer)
        }
        let store = try CentralApplication.openStore(configuration: configuration, logger: logger)
        let centralKey = try KeyFile.read(path: configuration.publicKeyFile).publicKey
        let ports = try (0..<instances).map { _ in try freePort() }
        let endpoints = ports.map { "tcp://127.0.0.1:\($0)" }
        var specs: [SimulatedGateSpec] = []
        for number in 0..<options.gates {
            let keys = try CurveKeyPair.generate()
            let id = String(format: "scale-%03d", number)
            try store.registerGate(Gate(id: id, zone: "casco-viejo", direction: .entry), publicKey: keys.publicKey)
            // With two instances, half the gates list A first and half B first.
            let order = number.isMultiple(of: 2) ? endpoints : Array(endpoints.reversed())
            specs.append(SimulatedGateSpec(
                id: id, keys: keys, signing: SigningKey(), endpoints: order, centralPublicKey: centralKey, origin: UUID().uuidString.lowercased(),
                sealed: options.sealed, backlog: options.eventsPerGate))
        }

        let centrals = try ports.map { port in try launchCentral(dataDirectory: configuration.dataDirectory, store: configuration.store, port: port, log: root + "/central-\(port).log") }
        var fleet: GateFleet?
        defer {
            fleet?.stop()
            for central in centrals where central.isRunning {
                kill(central.processIdentifier, SIGTERM)
                let deadline = Date().addingTimeInterval(10)
                while central.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
                if central.isRunning { kill(central.processIdentifier, SIGKILL) }
                central.waitUntilExit()
            }
        }
        func fail(_ what: String) -> [String] {
            keepRoot = true
            print("  \(what)")
            if let boards = fleet?.snapshot() {
                let errors = boards.compactMap(\.lastError)
                if !errors.isEmpty { print("  gate errors (\(errors.count) gates), e.g.: \(errors[0])") }
            }
            if let failure = fleet?.failure.withLock({ $0 }) { print("  gate thread failed: \(failure)") }
            for port in ports { print("  == central-\(port).log (tail):\n\(String(readLog(root + "/central-\(port).log").suffix(2_000)))") }
            print("  (data and logs kept in \(root))")
            return ["\(label): \(what)"]
        }

        let prepareStart = ContinuousClock.now
        let gates = GateFleet(specs: specs, threads: options.threads)
        fleet = gates
        // Numbering, sealing and encoding the backlog happens before the gates connect.
        let welcomed = waitUntil(timeout: 300) {
            gates.failure.withLock { $0 } != nil || gates.snapshot().allSatisfy { $0.welcomed && $0.connected }
        }
        guard welcomed, gates.failure.withLock({ $0 }) == nil else {
            let boards = gates.snapshot()
            return fail("only \(boards.filter(\.welcomed).count) of \(options.gates) gates welcomed within 300 s")
        }
        print(String(format: "  %d gates prepared %d events each and were welcomed in %.1f s", options.gates, options.eventsPerGate, seconds(.now - prepareStart)))
        var problems: [String] = []

        // MARK: Ingest: every gate sends its backlog, one batch of ≤ 256 in flight; count acknowledgements.
        do {
            let total = options.gates * options.eventsPerGate
            let pids = centrals.map(\.processIdentifier)
            let cpuBefore = pids.map(cpuSeconds), benchBefore = cpuSeconds(getpid())
            let start = ContinuousClock.now
            gates.update { $0.releaseBacklog = true }
            var lastProgress = (acked: 0, at: ContinuousClock.now)
            var acked = 0
            while acked < total {
                Thread.sleep(forTimeInterval: 0.005)
                acked = gates.snapshot().reduce(0) { $0 + $1.acked }
                if acked > lastProgress.acked { lastProgress = (acked, .now) }
                if ContinuousClock.now - lastProgress.at > .seconds(30) { return problems + fail("ingest stalled at \(acked) of \(total) events acknowledged") }
            }
            let elapsed = seconds(.now - start)
            gates.update { $0.releaseBacklog = false }
            let boards = gates.snapshot()
            let resent = boards.reduce(0) { $0 + $1.resentBatches }
            let moved = boards.filter { $0.failovers > 0 }.count
            let cpu = zip(pids.map(cpuSeconds), cpuBefore).map { $0 - $1 }
            let rate = Double(acked) / elapsed
            let relation = rate >= ingestFloor ? "above" : "below"
            print(String(format: "  ingest: %.0f durable events/s (%d events acknowledged from %d gates in %.1f s; batches of %d, one in flight per gate; %@)",
                         rate, acked, options.gates, elapsed, 256, postgresServer == nil ? "SQLite WAL, synchronous=FULL" : "PostgreSQL, fsync on"))
            print("          [floor ≥ \(Int(ingestFloor)) events/s is set for PostgreSQL with 2 instances; this \(engineName) figure is \(relation) it]")
            print("          CPU during ingest: central " + cpu.map { String(format: "%.1f s", $0) }.joined(separator: " + ")
                + String(format: ", simulated gates %.1f s, over %.1f s wall on %d cores", cpuSeconds(getpid()) - benchBefore, elapsed, ProcessInfo.processInfo.activeProcessorCount))
            print("          batches sent again (no ack within 5 s, or after a reconnect): \(resent) more than the \(options.gates * ((options.eventsPerGate + 255) / 256)) batches of the backlog"
                + (instances > 1 ? "; gates that moved to the other instance during ingest: \(moved)" : ""))
        }

        // MARK: Propagation: a change written to central's database as the CLI does, until every gate holds it.
        do {
            // Background traffic: every gate reads a plate a second.
            gates.update { $0.steadyInterval = .seconds(1) }
            Thread.sleep(forTimeInterval: 1)
            var allGates: [Double] = []
            var perGate: [Double] = []
            var missed = 0
            var writes: [Double] = []
            for change in 0..<options.changes {
                let start = ContinuousClock.now
                let saved = try store.save(DemoFleet.permit(change, zone: "casco-viejo", now: Date()))
                writes.append(seconds(.now - start) * 1000)
                let held = waitUntil(timeout: 10, pause: 0.002) { gates.snapshot().allSatisfy { $0.held >= saved.seq } }
                let boards = gates.snapshot()
                let latencies = boards.compactMap { $0.heldAt[saved.seq].map { seconds($0 - start) * 1000 } }
                perGate += latencies
                if held, latencies.count == boards.count {
                    allGates.append(latencies.max() ?? 0)
                } else {
                    missed += 1
                    print("  propagation: change \(saved.seq) held by \(boards.filter { $0.held >= saved.seq }.count) of \(boards.count) gates after 10 s")
                }
                // Land the next change at another phase of central's 50 ms push interval.
                Thread.sleep(forTimeInterval: 0.05 + Double.random(in: 0..<0.05))
            }
            if allGates.isEmpty { return problems + fail("no permit change reached every gate") }
            let p99 = percentile(allGates, 0.99)
            print(String(format: "  propagation: change → held by all %d gates p50 %.0f ms, p99 %.0f ms (%d changes", options.gates, percentile(allGates, 0.5), p99, allGates.count)
                + (missed > 0 ? ", \(missed) missed" : "")
                + String(format: "; per gate p50 %.0f ms, p99 %.0f ms; the write itself p50 %.0f ms, max %.0f ms)",
                         percentile(perGate, 0.5), percentile(perGate, 0.99), percentile(writes, 0.5), writes.max() ?? 0))
            print("          [floor p99 ≤ \(Int(propagationFloorMilliseconds)) ms: \(p99 <= propagationFloorMilliseconds && missed == 0 ? "met" : "NOT met")]"
                + " timed from just before the write (CentralStore.save on the shared file, as `bollard-central permits add`) to the instant each gate applied it; background traffic 1 read/s per gate")
            if missed > 0 { problems.append("\(label): \(missed) changes did not reach every gate within 10 s") }
        }

        // MARK: Failover: SIGKILL instance A; time until each of its gates has an event acknowledged by B.
        if instances == 2 {
            gates.update { $0.steadyInterval = .milliseconds(100) }
            Thread.sleep(forTimeInterval: 2)
            let before = gates.snapshot()
            let onA = before.indices.filter { specs[$0].endpoints[before[$0].endpoint] == endpoints[0] }
            let failoversBefore = before.map(\.failovers)
            print("  before the kill: \(onA.count) gates on instance A, \(before.count - onA.count) on B (half list A first; \(before.filter { $0.failovers > 0 }.count) gates had moved since start)")
            let killedAt = ContinuousClock.now
            kill(centrals[0].processIdentifier, SIGKILL)
            centrals[0].waitUntilExit()
            let done = waitUntil(timeout: 60, pause: 0.01) {
                let boards = gates.snapshot()
                return onA.allSatisfy { boards[$0].failovers > failoversBefore[$0] && boards[$0].firstAckSinceSwitch != nil }
            }
            let after = gates.snapshot()
            let times = onA.compactMap { index -> Double? in
                guard after[index].failovers > failoversBefore[index], let ack = after[index].firstAckSinceSwitch, ack > killedAt else { return nil }
                return seconds(ack - killedAt)
            }
            let stayed = before.indices.filter { !onA.contains($0) }
            let movedAnyway = stayed.filter { after[$0].failovers > failoversBefore[$0] }.count
            if !done || times.count < onA.count {
                print("  failover: only \(times.count) of \(onA.count) gates of the killed instance had an event acknowledged by the other within 60 s")
                problems.append("\(label): failover incomplete")
            }
            if let worst = times.max() {
                print(String(format: "  failover: SIGKILL of instance A → all %d of its gates had an event acknowledged by instance B after %.2f s (p50 %.2f s); %d gates already on B moved: %d",
                             onA.count, worst, percentile(times, 0.5), stayed.count, movedAnyway))
                print("          [floor ≤ \(Int(failoverFloorSeconds)) s: \(worst <= failoverFloorSeconds && done ? "met" : "NOT met")] background traffic 10 reads/s per gate")
            }
            Thread.sleep(forTimeInterval: 1)
        }

        // MARK: Exactly once: every event numbered is at central once, by (gate, origin, seq).
        do {
            gates.update { $0.steadyInterval = nil }
            let drained = waitUntil(timeout: 120) { gates.snapshot().allSatisfy { $0.unacked == 0 && $0.backlogWaiting == 0 } }
            let boards = gates.snapshot()
            let numbered = boards.reduce(0) { $0 + Int($1.numbered) }
            let acked = boards.reduce(0) { $0 + $1.acked }
            let (rows, distinct, repeated, conflicts, valid) = try store.database.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE gate_id LIKE 'scale-%'") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT DISTINCT gate_id, origin, seq FROM events WHERE gate_id LIKE 'scale-%') AS identities") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT gate_id, seq FROM events GROUP BY gate_id, seq HAVING count(*) > 1) AS repeats") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM event_conflicts") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM event_seals WHERE gate_id LIKE 'scale-%' AND seal = 'valid'") ?? -1
                )
            }
            let once = drained && rows == numbered && distinct == numbered && repeated == 0 && conflicts == 0 && acked == numbered
            print("  exactly once: \(numbered) events numbered by the gates, \(acked) acknowledged, \(rows) rows at central, \(distinct) distinct (gate, origin, seq), "
                + "\(repeated) (gate, seq) stored twice, \(conflicts) conflicts: \(once ? "ok" : "NOT ok")")
            if !once { problems += fail("events not stored exactly once") }
            // Central checked every seal as a real gate's: signature by the key pinned at hello, chain by prev.
            print("  seals: \(valid) of \(rows) events \(options.sealed ? "sealed" : "unsigned") and found valid by central")
            if options.sealed, valid != rows { problems.append("\(label): \(rows - valid) seals not valid") }
            let errors = boards.reduce(0) { $0 + $1.errors }
            if errors > 0 {
                print("  central refused or garbled \(errors) messages, e.g.: \(boards.compactMap(\.lastError).first ?? "?")")
                problems.append("\(label): \(errors) errors from central")
            }
        }
        return problems
    }

    // MARK: Helpers

    static func launchCentral(dataDirectory: String, store: String?, port: Int, log: String) throws -> Process {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let binary = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("bollard-central").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError(description: "no bollard-central beside bollard-bench (\(binary)); build it: swift build -c release --product bollard-central")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--data-dir", dataDirectory, "--gate-endpoint", "tcp://127.0.0.1:\(port)", "--log-level", "notice"]
        if let store { process.environment = ProcessInfo.processInfo.environment.merging(["BOLLARD_CENTRAL_STORE": store]) { $1 } }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// A new database on the PostgreSQL server for one configuration, by Debian's psql; its URL.
    static func freshDatabase(on server: String) throws -> String {
        guard var components = URLComponents(string: server) else { throw BenchError(description: "not a URL: \(server)") }
        let name = "bench_" + UUID().uuidString.prefix(8).lowercased()
        let result = TestEngine.psql(server, "CREATE DATABASE \(name)")
        guard result.status == 0 else { throw BenchError(description: "cannot create database \(name): \(result.output)") }
        components.path = "/" + name
        return components.string ?? server
    }

    static func readLog(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// User plus system CPU seconds of a process so far (/proc/PID/stat, fields 14 and 15).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Polls `condition` until it holds (true) or `timeout` seconds pass (false).
    static func waitUntil(timeout: Double, pause: Double = 0.02, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: pause)
        }
        return condition()
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
        guard bound else { throw BenchError(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
