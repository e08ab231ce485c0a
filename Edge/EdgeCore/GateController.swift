import Domain
import Foundation
import Logging
import Synchronization
import WireProtocol

/// The decision path: a read becomes a decision, the decision becomes a
/// committed event. Every read source (replay, generator, injection, and the
/// recogniser) ends here.
public final class GateController: Sendable {
    public let permits: PermitStore
    public let buffer: EventBuffer
    public let policy: DecisionPolicy
    private let logger: Logger
    private let counters = Mutex(Counters())
    private let started = Date()

    struct Counters {
        var reads: [Date] = []
        var lastFrame: Date?
    }

    public init(permits: PermitStore, buffer: EventBuffer, policy: DecisionPolicy, logger: Logger) {
        self.permits = permits
        self.buffer = buffer
        self.policy = policy
        self.logger = logger
    }

    /// Decides and commits. Throws only if the event could not be stored
    /// (e.g. disk full); the decision is still returned to the caller through the error.
    @discardableResult
    public func handle(_ read: PlateRead) throws -> Event {
        let decision = permits.decide(read, policy: policy)
        let event = try buffer.append(read: read, decision: decision)
        counters.withLock { counters in
            counters.reads.append(read.at)
            let cutoff = Date().addingTimeInterval(-300)
            if let first = counters.reads.first, first < cutoff {
                counters.reads.removeAll { $0 < cutoff }
            }
        }
        // No plate text at info level: the kind and sequence are enough to follow the flow.
        logger.info("passage", metadata: ["event.seq": "\(event.seq)", "event.kind": "\(event.kind.rawValue)"])
        logger.debug("passage detail", metadata: ["event.seq": "\(event.seq)", "plate": "\(event.plate ?? "-")"])
        return event
    }

    /// Reads per minute over the last five minutes.
    public var recognitionRate: Double {
        counters.withLock { counters in
            let cutoff = Date().addingTimeInterval(-300)
            return Double(counters.reads.filter { $0 >= cutoff }.count) / 5
        }
    }

    public var uptime: TimeInterval { Date().timeIntervalSince(started) }

    /// The health a heartbeat carries.
    public func health() -> GateHealth {
        let depth = (try? buffer.depth()) ?? EventBuffer.Depth(count: -1, oldestCreated: nil, droppedAuthorised: 0)
        let now = Date()
        return GateHealth(
            permitSeq: permits.seq,
            bufferDepth: depth.count,
            bufferCapacity: buffer.capacity,
            oldestUnsentSeconds: depth.oldestCreated.map { max(0, now.timeIntervalSince($0)) } ?? 0,
            droppedAuthorised: depth.droppedAuthorised,
            lastFrameMilliseconds: nil,
            recognitionRate: recognitionRate,
            diskFreeBytes: DiskSpace.freeBytes(atPath: buffer.directory),
            clockMilliseconds: Int64(now.timeIntervalSince1970 * 1000),
            uptimeSeconds: uptime,
            software: EdgeConfiguration.software)
    }
}
