// `bollard-bench gate-memory`: the resident memory of a gate that holds a city-wide permit set
// (issue 12: 1,000,000 permits under 128 MB). A child process writes the gate database; a fresh
// process then loads it the way bollard-edge starts (PermitStore from the database) and reports
// its VmRSS and VmHWM, and the decision time on the loaded set.
import Domain
import EdgeCore
import Foundation

enum GateMemoryBench {
    static func run(arguments: [String]) throws {
        func option(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        let count = option("--permits").flatMap(Int.init) ?? 1_000_000
        if let path = option("--write") { return try write(path: path, count: count) }
        if let path = option("--load") { return try load(path: path) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-gate-memory-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let me = CommandLine.arguments[0]
        for step in [["--write", folder + "/edge.sqlite", "--permits", String(count)], ["--load", folder + "/edge.sqlite"]] {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: me)
            child.arguments = ["gate-memory"] + step
            try child.run()
            child.waitUntilExit()
        }
    }

    static func write(path: String, count: Int) throws {
        let buffer = try EventBuffer(path: path, capacity: 100_000)
        let now = Date()
        var start = 0
        while start < count {
            let end = min(count, start + 10_000)
            try buffer.apply(changes: (start..<end).map { i in
                var permit = DemoFleet.permit(i, zone: "casco-viejo", now: now)
                permit.seq = Int64(i + 1)
                return permit
            }, heldSeq: Int64(end))
            start = end
        }
    }

    static func load(path: String) throws {
        let before = status("VmRSS")
        let started = ContinuousClock.now
        let buffer = try EventBuffer(path: path, capacity: 100_000)
        let permits = try PermitStore(
            loadingFrom: buffer, gate: Gate(id: "gate-01", zone: "casco-viejo", direction: .entry), holidays: .bilbaoDefault)
        let loaded = ContinuousClock.now - started
        let resident = status("VmRSS"), peak = status("VmHWM")
        let reads = (0..<100_000).map { i in PlateRead(text: DemoFleet.plate(i.isMultiple(of: 2) ? i * 7 % 1_000_000 : DemoFleet.strangerOffset + i), confidence: 0.95, at: Date()) }
        let decideStart = ContinuousClock.now
        var authorised = 0
        for read in reads where permits.decide(read, policy: .standard).kind == .authorised { authorised += 1 }
        let perDecision = (ContinuousClock.now - decideStart) / reads.count
        print(String(
            format: "gate memory: %d permits loaded in %.1f s; VmRSS %d MiB (%d MiB before loading), VmHWM %d MiB; decision %.2f µs through PermitStore (%d of %d authorised)",
            permits.snapshot.index.count, Double(loaded.components.seconds) + Double(loaded.components.attoseconds) / 1e18,
            resident >> 10, before >> 10, peak >> 10,
            Double(perDecision.components.attoseconds) / 1e12 + Double(perDecision.components.seconds) * 1e6, authorised, reads.count))
    }

    /// A /proc/self/status field in kB.
    static func status(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes
    }
}
