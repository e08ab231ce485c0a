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
        /// Decisions made while the buffer could not store them (a full disk),
        /// oldest first; written as soon as the disk takes them again.
        var held: [(read: PlateRead, decision: Decision)] = []
        var storageError: String?
    }

    /// Most decisions kept in memory while the disk refuses them (about 1 MB).
    public static let heldCapacity = 10_000

    /// Raised when a decision was made but could not be committed yet.
    public struct StorageError: Error, CustomStringConvertible {
        public var decision: Decision
        public var underlying: String
        public var description: String { "decided \(decision.kind.rawValue), held in memory until the disk takes it: \(underlying)" }
    }

    public init(permits: PermitStore, buffer: EventBuffer, policy: DecisionPolicy, logger: Logger) {
        self.permits = permits
        self.buffer = buffer
        self.policy = policy
        self.logger = logger
    }

    /// Decides and commits. If the event cannot be stored (a full disk), the
    /// decision is held in memory and retried, and `StorageError` says so.
    @discardableResult
    public func handle(_ read: PlateRead) throws -> Event {
        let decision = permits.decide(read, policy: policy)
        let event: Event
        do {
            try storeHeld()
            event = try buffer.append(read: read, decision: decision)
        } catch {
            let dropped = counters.withLock { counters -> Bool in
                counters.storageError = "\(error)"
                guard counters.held.count < Self.heldCapacity else { return true }
                counters.held.append((read, decision))
                return false
            }
            logger.error("event not stored", metadata: ["error": "\(error)", "event.kind": "\(decision.kind.rawValue)", "held.dropped": "\(dropped)"])
            throw StorageError(decision: decision, underlying: "\(error)")
        }
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

    /// Writes decisions held during a storage failure, oldest first.
    /// Called before each new event and by the sync loop.
    public func storeHeld() throws {
        while let next = counters.withLock({ $0.held.first }) {
            _ = try buffer.append(read: next.read, decision: next.decision)
            counters.withLock { counters in
                counters.held.removeFirst()
                if counters.held.isEmpty { counters.storageError = nil }
            }
        }
    }

    /// Why events are being held in memory, if they are.
    public var storageProblem: (error: String, held: Int)? {
        counters.withLock { counters in counters.storageError.map { ($0, counters.held.count) } }
    }

    /// Records that the camera delivered a frame (health shows when it last did).
    public func noteFrame(at date: Date = Date()) {
        counters.withLock { $0.lastFrame = date }
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
            lastFrameMilliseconds: counters.withLock { $0.lastFrame }.map { Int64($0.timeIntervalSince1970 * 1000) },
            recognitionRate: recognitionRate,
            diskFreeBytes: DiskSpace.freeBytes(atPath: buffer.directory),
            clockMilliseconds: Int64(now.timeIntervalSince1970 * 1000),
            uptimeSeconds: uptime,
            software: EdgeConfiguration.software)
    }
}
