import Crypto
import WireProtocol

/// Central's view of one gate's session, as a value: what the server loop
/// must remember between messages, and the rules that keep one gate from
/// starving the others. Times are `ContinuousClock` instants, so a wall
/// clock stepped back or forward changes nothing here.
struct CentralGateSession: Sendable {
    typealias Instant = ContinuousClock.Instant

    struct Limits: Sendable {
        /// Permit requests (`sync`, `snapshot`) a gate may make at once…
        var permitRequestBurst: Double = 20
        /// …and per second after that. A legitimate gate asks a handful per
        /// heartbeat; a 60,000-permit snapshot of 512 KiB pages is about 40.
        var permitRequestsPerSecond: Double = 10
        /// Messages waiting to be served per gate; beyond it the oldest go
        /// (a gate resends what matters: events until acked, requests on timeout).
        var inboxCapacity: Int = 64
    }

    /// What to do with a message the gate sent.
    enum Admission: Equatable, Sendable {
        case serve
        /// Over its permit-request budget: leave it in the gate's inbox and
        /// serve it when the budget has refilled (a well-behaved gate fetching
        /// a large snapshot is only slowed; a flooding one fills its own inbox).
        case deferred
    }

    var routingID: [UInt8]
    private(set) var lastSeen: Instant
    /// The router refused a send to `routingID`: the connection is gone, and
    /// pushes stop until the gate is heard from again (on whatever connection).
    /// Liveness is the connection's, not a silence window: a gate whose
    /// heartbeat is slower than any such window must still get every push.
    private(set) var unreachable = false
    /// The permit sequence the gate last said it holds (hello, sync, heartbeat).
    private(set) var reportedPermitSeq: Int64?
    private var tokens: Double
    private var tokensAt: Instant
    /// The last batches committed for this gate, by their message's digest, with the seqs each ack
    /// held: a batch the gate sends again (its ack lost, or late behind 299 other gates) is answered
    /// from here, costing neither a decode nor the store. Byte for byte the same message is the same
    /// content, so no conflict can hide behind it.
    private var recentAcks: [(size: Int, digest: SHA256.Digest, seqs: [Int64])] = []
    static let recentAcksKept = 4

    init(routingID: [UInt8], now: Instant, limits: Limits) {
        self.routingID = routingID
        lastSeen = now
        tokens = limits.permitRequestBurst
        tokensAt = now
    }

    /// Any authenticated message shows the gate alive, whatever its type.
    mutating func heard(from routingID: [UInt8], now: Instant) {
        self.routingID = routingID
        lastSeen = now
        unreachable = false
    }

    mutating func markUnreachable() { unreachable = true }

    /// The seqs central acknowledged for this very message, if it committed it lately.
    func acknowledgedSeqs(for payload: [UInt8]) -> [Int64]? {
        // The size first: most messages match no recent batch's, and cost no digest.
        guard recentAcks.contains(where: { $0.size == payload.count }) else { return nil }
        let digest = SHA256.hash(data: payload)
        return recentAcks.last { $0.size == payload.count && $0.digest == digest }?.seqs
    }

    mutating func rememberAck(size: Int, digest: SHA256.Digest, seqs: [Int64]) {
        recentAcks.append((size, digest, seqs))
        if recentAcks.count > Self.recentAcksKept { recentAcks.removeFirst() }
    }

    /// Decides whether to serve `message`, and notes what it says about the gate.
    mutating func admit(_ message: GateMessage, now: Instant, limits: Limits) -> Admission {
        switch message {
        case .hello(let hello):
            reportedPermitSeq = hello.permitSeq
            return .serve
        case .heartbeat(let health):
            reportedPermitSeq = health.permitSeq
            return .serve
        case .events:
            // Bounded by the one-batch-in-flight rule and cheap to refuse later; never throttled,
            // so a gate with a backlog drains it as fast as central commits.
            return .serve
        case .sync(let from):
            guard spendToken(now: now, limits: limits) else { return .deferred }
            reportedPermitSeq = from
            return .serve
        case .snapshot:
            return spendToken(now: now, limits: limits) ? .serve : .deferred
        case .evidence:
            // The gate sends one chunk at a time and waits for the answer: bounded by itself.
            return .serve
        }
    }

    /// A token bucket: `permitRequestBurst` at once, refilled at `permitRequestsPerSecond`.
    private mutating func spendToken(now: Instant, limits: Limits) -> Bool {
        let elapsed = now - tokensAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(limits.permitRequestBurst, tokens + max(0, seconds) * limits.permitRequestsPerSecond)
        tokensAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
