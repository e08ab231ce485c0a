import BollardSupport
import Domain
import Foundation
import Logging
import PlateRecognition
import Synchronization
import WireProtocol

/// The decision path: a read becomes a decision, the decision becomes a
/// committed event. Every read source (replay, generator, injection, and the
/// recogniser) ends here.
public final class GateController: Sendable {
    public let permits: PermitStore
    public let buffer: EventBuffer
    /// SIGHUP may change it (`setPolicy`); each decision takes the policy of its moment.
    public var policy: DecisionPolicy { policyBox.withLock { $0 } }
    private let policyBox: Mutex<DecisionPolicy>
    /// Whether the wall clock can be trusted for fines (measured against central's).
    public let clock: ClockCheck
    private let logger: Logger
    private let counters = Mutex(Counters())
    /// The camera's status for heartbeats; nil when the gate has no camera.
    private let cameraStatus = Mutex<(@Sendable () -> CameraStatus)?>(nil)
    /// Decisions the buffer could not store yet. Every write to the buffer
    /// happens under this lock, so held decisions go in first, in order, and
    /// once each, whichever thread (decision path or sync loop) writes them.
    private let storage = Mutex(HeldDecisions())
    /// Uptime is monotonic: a wall clock stepped back must not make it negative.
    private let started = ContinuousClock.now
    /// The last decisions, for `bollardctl reads --follow` (memory only).
    public let recent = RecentReads()
    /// The camera's latest frame, for `bollardctl camera snapshot`.
    public let latestFrame = LatestFrame()

    struct Counters {
        var reads: [Date] = []
        var lastFrame: Date?
    }

    struct HeldDecisions {
        /// Oldest first; written as soon as the disk takes them again.
        var decisions: [(read: PlateRead, decision: Decision, images: [EvidenceImage])] = []
        var lastError: String?
        /// Decisions dropped while the disk refused writes, counted here until
        /// the disk takes the count too.
        var unsavedDrops = GateHealth.Dropped()
    }

    /// Most decisions kept in memory while the disk refuses them (about 1 MB).
    public static let defaultHeldCapacity = 10_000
    /// The memory budget of held decisions. Violations and reviews may take
    /// all of it: authorised passages and exits are dropped first.
    public let heldCapacity: Int

    /// Raised when a decision was made but could not be committed: `held`
    /// says whether it waits in memory for the disk or was dropped.
    public struct StorageError: Error, CustomStringConvertible {
        public var decision: Decision
        public var underlying: String
        public var held: Bool
        public var description: String {
            held
                ? "decided \(decision.kind.rawValue), held in memory until the disk takes it: \(underlying)"
                : "decided \(decision.kind.rawValue), but DROPPED: the disk refuses writes and memory is full of decisions that matter more: \(underlying)"
        }
    }

    public init(
        permits: PermitStore, buffer: EventBuffer, policy: DecisionPolicy, clock: ClockCheck = ClockCheck(), logger: Logger,
        heldCapacity: Int = defaultHeldCapacity
    ) {
        self.permits = permits
        self.buffer = buffer
        self.policyBox = Mutex(policy)
        self.clock = clock
        self.logger = logger
        self.heldCapacity = max(1, heldCapacity)
    }

    /// Decisions from now on use `policy` (a reloaded confident_threshold).
    public func setPolicy(_ policy: DecisionPolicy) { policyBox.withLock { $0 = policy } }

    /// Decides and commits. If the event cannot be stored (a full disk), the
    /// decision is held in memory and retried, and `StorageError` says so.
    @discardableResult
    public func handle(_ read: PlateRead) throws -> Event {
        let decision = clock.vet(permits.decide(read, policy: policy))
        let images = evidenceImages(read, decision: decision)
        var bare = read
        bare.evidence = nil  // the pixels are in `images` now; a held decision keeps only those
        let stored: Result<Event, StorageError> = storage.withLock { held in
            do {
                try Self.write(&held, to: buffer)
                return .success(try buffer.append(read: bare, decision: decision, images: images))
            } catch {
                held.lastError = "\(error)"
                let kept = hold((bare, decision, images), in: &held)
                logger.error("event not stored", metadata: [
                    "error": "\(error)", "event.kind": "\(decision.kind.rawValue)", "held": "\(kept)", "held.count": "\(held.decisions.count)",
                ])
                return .failure(StorageError(decision: decision, underlying: "\(error)", held: kept))
            }
        }
        recent.record(bare, decision: decision, event: try? stored.get())
        let event = try stored.get()
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

    /// The evidence a decision keeps: for a violation or a review read by the
    /// camera, the best frame and the plate crop (with a margin) as grey JPEG.
    /// Authorised passages and exits keep no image; a frame that cannot be
    /// encoded is logged and the event is still committed, without it.
    func evidenceImages(_ read: PlateRead, decision: Decision) -> [EvidenceImage] {
        guard decision.kind == .violation || decision.kind == .review, let evidence = read.evidence,
            evidence.width > 0, evidence.height > 0, evidence.pixels.count == evidence.width * evidence.height
        else { return [] }
        let frame = GrayImage(width: evidence.width, height: evidence.height, pixels: evidence.pixels)
        var images: [EvidenceImage] = []
        do {
            images.append(EvidenceImage(role: "frame", jpeg: Data(try JPEGEncoder.encode(frame))))
            let box = PlateBox(x: evidence.boxX, y: evidence.boxY, width: evidence.boxWidth, height: evidence.boxHeight)
            if let crop = JPEGEncoder.crop(frame, box: box) {
                images.append(EvidenceImage(role: "crop", jpeg: Data(try JPEGEncoder.encode(crop, quality: 92))))
            }
        } catch {
            logger.error("evidence image not kept", metadata: ["event.kind": "\(decision.kind.rawValue)", "error": "\(error)"])
        }
        return images.filter { $0.jpeg.count <= EventImageDigest.largestImage }
    }

    /// Writes decisions held during a storage failure, oldest first (the sync loop retries with it).
    public func storeHeld() throws {
        try storage.withLock { held in try Self.write(&held, to: buffer) }
    }

    private static func write(_ held: inout HeldDecisions, to buffer: EventBuffer) throws {
        guard held.lastError != nil else { return }
        var written = 0
        defer { held.decisions.removeFirst(written) }
        for next in held.decisions {
            _ = try buffer.append(read: next.read, decision: next.decision, images: next.images)
            written += 1
        }
        try buffer.addDrops(held.unsavedDrops)
        held.unsavedDrops = GateHealth.Dropped()
        held.lastError = nil
        buffer.restoreReserveIfSpace()
    }

    /// Keeps a decision the disk refused, within the memory budget. When the
    /// budget is spent, a held authorised passage or exit makes room for a
    /// violation or review; otherwise the newcomer is dropped. Every drop is
    /// counted by kind. Returns whether `decision` is held.
    private func hold(_ decision: (read: PlateRead, decision: Decision, images: [EvidenceImage]), in held: inout HeldDecisions) -> Bool {
        if held.decisions.count < heldCapacity {
            held.decisions.append(decision)
            return true
        }
        let kind = decision.decision.kind
        let matters = kind == .violation || kind == .review
        if matters, let passage = held.decisions.firstIndex(where: { $0.decision.kind == .authorised || $0.decision.kind == .exit }) {
            held.unsavedDrops[held.decisions[passage].decision.kind] += 1
            held.decisions.remove(at: passage)
            held.decisions.append(decision)
            return true
        }
        held.unsavedDrops[kind] += 1
        return false
    }

    /// Decisions dropped since the database was created, by kind: those
    /// committed to it and those counted in memory while the disk refuses writes.
    public var dropped: GateHealth.Dropped {
        storage.withLock { held in buffer.dropCounts + held.unsavedDrops }
    }

    /// Why events are being held in memory, if they are.
    public var storageProblem: (error: String, held: Int)? {
        storage.withLock { held in held.lastError.map { ($0, held.decisions.count) } }
    }

    /// Attaches the camera whose state every heartbeat reports (done once, at start).
    public func attachCamera(_ status: @escaping @Sendable () -> CameraStatus) {
        cameraStatus.withLock { $0 = status }
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

    public var uptime: TimeInterval {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The health a heartbeat carries.
    public func health() -> GateHealth {
        let depth = (try? buffer.depth()) ?? EventBuffer.Depth(count: -1, oldestCreated: nil, droppedAuthorised: 0)
        let dropped = self.dropped
        let now = Date()
        return GateHealth(
            permitSeq: permits.seq,
            bufferDepth: depth.count,
            bufferCapacity: buffer.capacity,
            oldestUnsentSeconds: depth.oldestCreated.map { max(0, now.timeIntervalSince($0)) } ?? 0,
            droppedAuthorised: dropped.authorised + dropped.exit,
            lastFrameMilliseconds: counters.withLock { $0.lastFrame }.map { Int64($0.timeIntervalSince1970 * 1000) },
            recognitionRate: recognitionRate,
            diskFreeBytes: DiskSpace.freeBytes(atPath: buffer.directory),
            clockMilliseconds: Int64(now.timeIntervalSince1970 * 1000),
            uptimeSeconds: uptime,
            software: EdgeConfiguration.software,
            dropped: dropped, camera: cameraStatus.withLock { $0 }?())
    }
}
