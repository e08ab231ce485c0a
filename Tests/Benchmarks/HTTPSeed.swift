import CentralCore
import Domain
import Foundation
import WireProtocol

/// `bollard-bench http-seed --data-dir DIR [--gates 30] [--events 1000000]`: a central
/// database for `make bench-http`: 30 gates with health, 1,000 permits and a million
/// events over the last 30 days (1 in 20 a violation, 1 in 25 a review), and an
/// operator token, printed on the last line for the load generator.
enum HTTPSeed {
    static func run(arguments: [String]) throws {
        func value(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[$0 + 1] : nil }
        }
        guard let folder = value("--data-dir") else { throw BenchError(description: "http-seed needs --data-dir DIR") }
        let gates = Int(value("--gates") ?? "") ?? 30
        let total = Int(value("--events") ?? "") ?? 1_000_000
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try CentralStore(path: folder + "/central.sqlite")
        let now = Date()
        try store.save((0..<1_000).map { DemoFleet.permit($0, zone: "casco-viejo", now: now) })
        let started = ContinuousClock.now
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
        let span: Int64 = 30 * 86_400_000
        var health: [(gateID: String, lastSeen: Date, health: GateHealth?)] = []
        for number in 1...gates {
            let id = String(format: "gate-%02d", number)
            try store.registerGate(Gate(id: id, zone: "casco-viejo", direction: number % 5 == 0 ? .exit : .entry), publicKey: "bench-key-\(id)")
            let count = total / gates + (number <= total % gates ? 1 : 0)
            var seq: Int64 = 0
            while seq < count {
                let batch = (0..<min(20_000, count - Int(seq))).map { offset -> Event in
                    let n = seq + Int64(offset) + 1
                    let at = nowMilliseconds - span + span * n / Int64(count)
                    let plate = String(format: "%04d%@", Int(n % 10_000), ["BCD", "FGH", "JKL"][Int(n % 3)])
                    switch n % 100 {
                    case 0..<5: return Event(seq: n, atMilliseconds: at, kind: .violation, plate: plate, confidence: 0.95)
                    case 5..<9: return Event(seq: n, atMilliseconds: at, kind: .review, plate: plate, confidence: 0.4, reason: "low_confidence")
                    default: return Event(seq: n, atMilliseconds: at, kind: .authorised, plate: nil, confidence: 0.97, permitID: "P0000001")
                    }
                }
                try store.store(events: batch, from: id, origin: "bench")
                seq += Int64(batch.count)
            }
            health.append((id, now, GateHealth(
                permitSeq: try store.headSeq(), bufferDepth: 3, bufferCapacity: 100_000, oldestUnsentSeconds: 0.5, droppedAuthorised: 0,
                lastFrameMilliseconds: nowMilliseconds - 40, recognitionRate: 12, diskFreeBytes: 20_000_000_000, clockMilliseconds: nowMilliseconds,
                uptimeSeconds: 3600, software: "bollard-edge/bench")))
        }
        try store.saveHealth(health)
        print("seeded \(gates) gates and \(total) events in \(ContinuousClock.now - started)")
        print(try store.createToken(name: "bench-operator", role: .operator_))
    }
}
