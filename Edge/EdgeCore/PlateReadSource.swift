import BollardSupport
import Domain
import Foundation
import Logging

/// Anything that produces plate reads for the gate: a replay file, a
/// generator, and (issue 3) the camera plus recogniser plus tracker.
/// Each read goes to `sink`, which decides and commits it.
public protocol PlateReadSource: Sendable {
    /// Runs until the task is cancelled or the source is exhausted. Waits go
    /// through `ProgressReporter.sleep`, so the watchdog sees a waiting source alive.
    func run(sink: @escaping @Sendable (PlateRead) -> Void) async throws
}

/// Replays a JSON-lines file of timed reads:
/// `{"after_ms": 500, "plate": "1234BCD", "confidence": 0.97}` per line,
/// `after_ms` counted from the previous read. A bad line is reported with its
/// number and skipped; the rest still play.
public struct ReplayReadSource: PlateReadSource {
    public let path: String
    public let logger: Logger

    public init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    struct Line: Decodable {
        var after_ms: Int?
        var plate: String
        var confidence: Double?
    }

    public func run(sink: @escaping @Sendable (PlateRead) -> Void) async throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        for (number, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let entry = try? decoder.decode(Line.self, from: Data(line.utf8)) else {
                logger.error("replay line is not a read; skipped", metadata: ["replay.file": "\(path)", "replay.line": "\(number + 1)"])
                continue
            }
            // Beats the source's progress while it waits: waiting for the next read is being alive.
            if let delay = entry.after_ms, delay > 0 { try await ProgressReporter.sleep(for: .milliseconds(delay)) }
            sink(PlateRead(text: entry.plate, confidence: min(max(entry.confidence ?? 1, 0), 1), at: Date(), source: .replay))
        }
    }
}

/// A synthetic stream for the demo: mostly fleet vehicles holding permits,
/// some strangers, some doubtful reads (a confusable character, low confidence).
public struct SyntheticReadSource: PlateReadSource {
    public let readsPerMinute: Double
    public let fleetSize: Int
    public let seed: UInt64

    public init(readsPerMinute: Double, fleetSize: Int, seed: UInt64) {
        self.readsPerMinute = readsPerMinute
        self.fleetSize = max(1, fleetSize)
        self.seed = seed
    }

    public func run(sink: @escaping @Sendable (PlateRead) -> Void) async throws {
        var random = SplitMix64(seed: seed)
        let meanDelay = 60.0 / max(readsPerMinute, 0.001)
        while !Task.isCancelled {
            // Exponential gaps: arrivals as a Poisson process.
            let gap = -log(max(random.nextUnit(), 1e-9)) * meanDelay
            try await ProgressReporter.sleep(for: .milliseconds(Int64(min(gap, 3600) * 1000)))
            sink(next(&random))
        }
    }

    /// The read the generator makes from its random state (public for tests).
    public func next(_ random: inout SplitMix64) -> PlateRead {
        let roll = random.nextUnit()
        let member = Int(random.next() % UInt64(fleetSize))
        if roll < 0.75 {
            return PlateRead(text: DemoFleet.plate(member), confidence: 0.9 + 0.1 * random.nextUnit(), at: Date(), source: .generator)
        } else if roll < 0.9 {
            let stranger = DemoFleet.strangerOffset + Int(random.next() % 1_000_000)
            return PlateRead(text: DemoFleet.plate(stranger), confidence: 0.9 + 0.1 * random.nextUnit(), at: Date(), source: .generator)
        } else {
            // Doubtful: a fleet plate with one digit misread as its look-alike letter.
            var text = Array(DemoFleet.plate(member))
            let lookalike: [Character: Character] = ["0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"]
            if let position = text.indices.first(where: { lookalike[text[$0]] != nil }) {
                text[position] = lookalike[text[position]]!
            }
            return PlateRead(text: String(text), confidence: 0.5 + 0.45 * random.nextUnit(), at: Date(), source: .generator)
        }
    }
}

/// Small, fast, seedable generator (SplitMix64), so demo runs are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
