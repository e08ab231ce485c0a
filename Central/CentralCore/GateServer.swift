import BollardSupport
import Crypto
import Domain
import Evidence
import Foundation
import Logging
import Synchronization
import WireProtocol
import ZMQ

/// Central's side of the gate channel: one CURVE ROUTER socket, guarded by a
/// ZAP handler that admits registered gate keys only and names each peer by
/// its gate id. Stores events before acknowledging them, answers permit sync,
/// pushes every new permit change to connected gates, and records health.
///
/// Both sockets live on the server's own thread (ZMQ sockets are not
/// thread-safe); nothing a peer sends can stop that loop.
public final class GateServer: Sendable {
    public struct Options: Sendable {
        public var endpoint: String
        public var secretKey: String
        public var pushInterval: Double = 0.05
        public var healthFlushInterval: Double = 1
        /// How long an authorised vehicle's plate is kept (the longest maximum stay a rule needs).
        public var authorisedPlateRetention: Double = 24 * 3600
        public init(endpoint: String, secretKey: String) {
            self.endpoint = endpoint
            self.secretKey = secretKey
        }
    }

    let store: CentralStore
    let options: Options
    let logger: Logger
    private let bound = Mutex<String?>(nil)
    /// The server thread; central's gate server service waits on it.
    public let thread: OwnedThread
    /// Beats once per loop iteration; the watchdog watches it.
    public let progress = ProgressReporter(name: "gate-server", deadline: .seconds(10))
    /// Dirty gate health handed from the server loop to the health flusher.
    public let pendingHealth = PendingHealth()
    public init(store: CentralStore, options: Options, logger: Logger) {
        self.store = store
        self.options = options
        self.logger = logger
        thread = OwnedThread(name: "gate-server", logger: logger)
    }

    /// The endpoint bound (with the real port when asked for port `*`).
    public var boundEndpoint: String? { bound.withLock { $0 } }

    /// Binds the ZAP handler, then the CURVE socket, then serves on a thread.
    public func start() throws {
        // Another instance's permit change is heard at once (PostgreSQL), not at the next poll.
        store.listenForPermitChanges()
        let context = try ZMQContext()
        // The ZAP handler must exist before the CURVE socket binds: without it
        // libzmq admits any client that knows the server key.
        let zap = try ZAPHandler(context: context)
        let router = try ZMQSocket(context: context, type: .router)
        try router.makeCurveServer(secretKey: options.secretKey)
        try router.setOption(ZMQOption.zapDomain, string: "bollard")
        try router.setOption(ZMQOption.routerMandatory, Int32(1))
        try router.setOption(ZMQOption.routerHandover, Int32(1))
        try router.setOption(ZMQOption.maxMessageSize, Int64(ProtocolVersion.maxTransportFrameBytes))
        try router.setOption(ZMQOption.heartbeatInterval, Int32(1000))
        try router.setOption(ZMQOption.heartbeatTimeout, Int32(3000))
        // Per gate: a gate that asks and never reads fills its own queue (then
        // its replies are dropped), not central's memory.
        try router.setOption(ZMQOption.sendHighWaterMark, Int32(64))
        try router.bind(options.endpoint)
        let endpoint = try router.lastEndpoint()
        bound.withLock { $0 = endpoint }
        let handOff = ThreadHandOff((context: context, zap: zap, router: router))
        thread.start { [self] in
            let sockets = handOff.value
            var loop = ServerLoop(server: self, zap: sockets.zap, router: sockets.router)
            loop.run()
            sockets.zap.close()
            sockets.router.close()
            sockets.context.shutdown()
        }
        logger.info("gate channel listening", metadata: ["endpoint": "\(endpoint)"])
    }

    /// Stops the server thread, waiting a bounded time (see `OwnedThread`).
    public func stop() {
        thread.stop()
    }

    var isStopped: Bool { thread.isStopping }
}

/// The server thread's state; touched by that thread only.
///
/// Fairness: each pass of the loop first drains what arrived into one
/// bounded inbox per gate, then serves the inboxes round-robin, one message
/// per gate per round, for at most `serveBudget`; pushes and key refreshes
/// run between passes. A gate that floods central fills only its own inbox,
/// and its permit requests are rate-limited (`CentralGateSession`).
struct ServerLoop {
    typealias Instant = ContinuousClock.Instant

    let server: GateServer
    let zap: ZAPHandler
    let router: ZMQSocket
    var sessions: [String: CentralGateSession] = [:]
    var inboxes: [String: [(routingID: [UInt8], payload: [UInt8])]] = [:]
    /// Gates with something in their inbox, in arrival order (the round-robin order).
    var waiting: [String] = []
    var health: [String: (lastSeen: Date, health: GateHealth?)] = [:]
    var healthDirty: Set<String> = []
    var keys: [String: CentralStore.GateRecord] = [:]
    var gatesByID: [String: CentralStore.GateRecord] = [:]
    var keysLoaded: Instant?
    var lastPushedSeq: Int64 = 0
    var lastPush: Instant?
    /// The store's permit-change signals at the last push (nil on SQLite, which has none).
    var lastSignals: Int?
    /// The last push pass left changes to push: push again next pass.
    var pushBacklog = false
    var lastHealthFlush = ContinuousClock.now
    /// The heads heartbeat acks carry, with when they were read (see `heads(now:)`).
    var cachedHeads: (at: Instant, permits: Int64, holidays: Int64?)?
    var limits = CentralGateSession.Limits()
    /// An `events` message served but not yet committed, with what its ack needs.
    struct PendingBatch {
        var routingID: [UInt8]
        var batch: CentralStore.EventBatch
        /// The message's size and digest, remembered with its ack (`CentralGateSession.acknowledgedSeqs`).
        var size: Int
        var digest: SHA256.Digest
    }
    /// Event batches served but not yet committed: the round's group commit (`commitGroup`).
    var group: [PendingBatch] = []
    var groupEvents = 0
    /// Events a group commit takes at most: large enough that a round of uploading gates costs a
    /// few transactions, small enough that one transaction holds the write lock a short while.
    static let groupCapacity = 4_096
    /// How long one pass serves inboxes before it pushes and drains again.
    let serveBudget: Duration = .milliseconds(50)
    var logger: Logger { server.logger }
    var store: CentralStore { server.store }

    init(server: GateServer, zap: ZAPHandler, router: ZMQSocket) {
        self.server = server
        self.zap = zap
        self.router = router
        lastPushedSeq = (try? server.store.headSeq()) ?? 0
    }

    mutating func run() {
        while !server.isStopped {
            server.progress.beat()
            do {
                // With messages waiting (perhaps deferred by a gate's request budget), only glance at the sockets.
                _ = try ZMQPoller.poll([zap.socket, router], timeoutMilliseconds: waiting.isEmpty ? 20 : 2)
                try refreshKeysIfStale(now: .now)
                while try zap.handleOne(dontWait: true, decide: { request in
                    if let key = request.curvePublicKey, keys[key] == nil { lookUpUnknownKey(key) }
                    return authenticate(request)
                }) {}
                try drain(now: .now)
                serveRound(until: .now + serveBudget)
                try periodic(now: .now)
            } catch {
                logger.error("gate server loop error", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        flushHealth()
    }

    // MARK: Authentication

    /// Registrations and revocations made by other processes (the CLI) are
    /// seen within a second; an unknown key forces a fresh look (at most every 100 ms).
    mutating func refreshKeysIfStale(now: Instant, maxAge: Duration = .seconds(1)) throws {
        if let keysLoaded, now - keysLoaded <= maxAge { return }
        let records = try store.gates()
        keys = Dictionary(records.map { ($0.publicKey, $0) }, uniquingKeysWith: { first, _ in first })
        gatesByID = Dictionary(records.map { ($0.gate.id, $0) }, uniquingKeysWith: { first, _ in first })
        keysLoaded = now
    }

    /// A key not in the cache may have been registered a moment ago (libzmq
    /// does not retry a refused handshake): ask the store for that one key.
    /// One indexed read, cheaper than the CURVE handshake that brought it.
    mutating func lookUpUnknownKey(_ key: String) {
        guard let record = try? store.gate(publicKey: key) else { return }
        keys[key] = record
        gatesByID[record.gate.id] = record
    }

    func authenticate(_ request: ZAPRequest) -> ZAPReply {
        guard request.mechanism == "CURVE", let key = request.curvePublicKey else {
            return .refuse("CURVE required")
        }
        guard let record = keys[key], !record.revoked else {
            let revokedGate = keys[key]?.gate.id
            logger.warning(
                revokedGate == nil ? "refused a gate key that is not registered" : "refused a revoked gate key",
                metadata: ["peer.address": "\(request.address)", "key.prefix": "\(key.prefix(8))", "gate.id": "\(revokedGate ?? "-")"])
            return .refuse(revokedGate == nil ? "gate key not registered" : "gate key revoked")
        }
        return .accept(userID: record.gate.id)
    }

    // MARK: Messages

    /// Moves what arrived into the gates' inboxes (at most 2,000 messages a pass).
    mutating func drain(now: Instant) throws {
        var drained = 0
        while drained < 2_000, let message = try router.receive(dontWait: true) {
            drained += 1
            guard message.frames.count == 2, let gateID = message.userID, let record = gatesByID[gateID] else {
                if let routingID = message.frames.first {
                    reply(routingID, .error(WireError(.malformed, "expected exactly one frame per message"), inReplyTo: nil))
                }
                continue
            }
            let routingID = message.frames[0]
            if record.revoked {
                reply(routingID, .error(WireError(.revoked, "this gate's key has been revoked"), inReplyTo: WireCodec.peekType(message.frames[1])))
                continue
            }
            // Any authenticated message shows the gate alive, whatever it is and however long it waits.
            sessions[gateID, default: CentralGateSession(routingID: routingID, now: now, limits: limits)].heard(from: routingID, now: now)
            let previous = health[gateID]
            health[gateID] = (Date(), previous?.health)
            healthDirty.insert(gateID)
            // A heartbeat is answered at once, ahead of the gate's queued batches: it costs two
            // reads, and a gate left unanswered for seconds behind a busy round (300 gates
            // uploading sealed backlogs) would count central as gone and fail over.
            // (Peeked only in small frames: a batch is not parsed twice.)
            if message.frames[1].count <= 8_192, WireCodec.peekType(message.frames[1]) == "heartbeat" {
                if handle(gateID: gateID, routingID: routingID, payload: message.frames[1]) { continue }
            }
            var inbox = inboxes[gateID] ?? []
            // A gate that heard no answer in time sends its batch again; while the first copy still waits
            // here the second would be served twice. Its answer goes to the gate's newest connection.
            if let queued = inbox.firstIndex(where: { $0.payload == message.frames[1] }) {
                inbox[queued].routingID = routingID
                inboxes[gateID] = inbox
                continue
            }
            if inbox.isEmpty { waiting.append(gateID) }
            if inbox.count >= limits.inboxCapacity {
                inbox.removeFirst()
                logger.debug("gate inbox full; oldest message dropped", metadata: ["gate.id": "\(gateID)"])
            }
            inbox.append((routingID, message.frames[1]))
            inboxes[gateID] = inbox
        }
    }

    /// Serves one message per waiting gate per round, until the inboxes are empty or the budget is spent.
    ///
    /// A gate whose next message is deferred (over its request budget) waits
    /// for the next pass, behind everyone.
    mutating func serveRound(until deadline: Instant) {
        var deferred: [String] = []
        while !waiting.isEmpty, ContinuousClock.now < deadline {
            let round = waiting
            waiting.removeAll(keepingCapacity: true)
            for gateID in round {
                guard var inbox = inboxes[gateID], !inbox.isEmpty else { continue }
                let next = inbox[0]
                guard handle(gateID: gateID, routingID: next.routingID, payload: next.payload) else {
                    deferred.append(gateID)
                    continue
                }
                inbox.removeFirst()
                inboxes[gateID] = inbox.isEmpty ? nil : inbox
                if !inbox.isEmpty { waiting.append(gateID) }
                if groupEvents >= Self.groupCapacity {
                    commitGroup()
                    // Heartbeats that came in meanwhile are answered now, not after the whole round.
                    do { try drain(now: .now) } catch { logger.error("gate server loop error", metadata: ["error": "\(error)"]) }
                }
            }
        }
        commitGroup()
        waiting += deferred
    }

    /// Commits the event batches gathered since the last commit in one transaction (group
    /// commit), then acknowledges each: a round of 300 uploading gates costs a few transactions,
    /// not 300. When the group fails (most likely the disk), each batch is tried alone, so that
    /// one batch's trouble is not every gate's; what still fails is answered 'unavailable, retry'.
    mutating func commitGroup() {
        guard !group.isEmpty else { return }
        let pending = group
        group.removeAll(keepingCapacity: true)
        groupEvents = 0
        if pending.count > 1 {
            do {
                let results = try store.commit(pending.map(\.batch))
                for (item, stored) in zip(pending, results) { acknowledge(item, stored) }
                return
            } catch {
                logger.warning("group commit failed; committing batch by batch", metadata: ["batches": "\(pending.count)", "error": "\(LogText.escaped("\(error)", limit: 300))"])
            }
        }
        for item in pending {
            do {
                acknowledge(item, try store.commit([item.batch])[0])
            } catch {
                couldNotServe(item.batch.gateID, item.routingID, type: "events", error)
            }
        }
    }

    mutating func acknowledge(_ item: PendingBatch, _ stored: CentralStore.Stored) {
        let batch = item.batch
        sessions[batch.gateID]?.rememberAck(size: item.size, digest: item.digest, seqs: stored.seqs)
        if !stored.conflicts.isEmpty {
            // Acknowledged (the gate must not jam), kept aside, and loud: `bollard-central status` reports them.
            logger.error("gate reused event seqs with other content; kept as conflicts", metadata: [
                "gate.id": "\(batch.gateID)", "gate.origin": "\(batch.origin)", "events.count": "\(stored.conflicts.count)",
                "events.first_seq": "\(stored.conflicts[0])",
            ])
        }
        reply(item.routingID, .ack(seqs: stored.seqs))
    }

    /// Serves one message; false when it must wait for the gate's request budget.
    mutating func handle(gateID: String, routingID: [UInt8], payload: [UInt8]) -> Bool {
        guard let record = gatesByID[gateID] else { return true }
        if let seqs = sessions[gateID]?.acknowledgedSeqs(for: payload) {
            reply(routingID, .ack(seqs: seqs))
            return true
        }
        let decoded: GateMessage
        do { decoded = try WireCodec.decodeGateMessage(payload) } catch {
            logger.notice("bad message from gate", metadata: ["gate.id": "\(gateID)", "error": "\(LogText.escaped(error.description, limit: 300))"])
            reply(routingID, .error(error, inReplyTo: WireCodec.peekType(payload)))
            return true
        }
        let now = ContinuousClock.now
        if sessions[gateID]?.admit(decoded, now: now, limits: limits) == .deferred { return false }
        do {
            if let answer = try respond(to: decoded, gate: record.gate, routingID: routingID, payload: payload) { reply(routingID, answer) }
        } catch {
            couldNotServe(gateID, routingID, type: decoded.type, error)
        }
        return true
    }

    /// A message the store could not serve (most likely the disk): logged, and the gate told to retry
    /// while central keeps serving the others.
    func couldNotServe(_ gateID: String, _ routingID: [UInt8], type: String, _ error: any Error) {
        logger.error("could not serve gate", metadata: ["gate.id": "\(gateID)", "message.type": "\(type)", "error": "\(LogText.escaped("\(error)", limit: 300))"])
        reply(routingID, .error(WireError(.unavailable, "central could not complete '\(type)'; retry"), inReplyTo: type))
    }

    mutating func respond(to message: GateMessage, gate: Gate, routingID: [UInt8], payload: [UInt8]) throws -> CentralMessage? {
        switch message {
        case .hello(let hello):
            guard let version = ProtocolVersion.negotiate(hello.versions) else {
                return .error(WireError(.unsupportedVersion, "central speaks \(ProtocolVersion.supported)"), inReplyTo: "hello")
            }
            if let claimed = hello.gateID, claimed != gate.id {
                logger.warning("gate claims another id; its key decides", metadata: ["gate.id": "\(gate.id)", "gate.claimed": "\(LogText.escaped(claimed))"])
            }
            let origin = hello.origin ?? ""
            if let problem = Event.problem(inOrigin: origin) { return .error(WireError(.invalid, problem), inReplyTo: "hello") }
            if let refusal = try checkSigningKey(hello.signingKey, gate: gate) { return refusal }
            logger.info("gate said hello", metadata: ["gate.id": "\(gate.id)", "permits.seq": "\(hello.permitSeq)"])
            let calendar = try store.holidayCalendar()
            return .welcome(.init(
                version: version, gate: gate, headSeq: try store.headSeq(), holidays: calendar.dates,
                serverTimeMilliseconds: Self.milliseconds(Date()), holidaysSeq: calendar.seq,
                lastEventSeq: try store.lastEventSeq(gateID: gate.id, origin: origin)))
        case .sync(let from):
            switch try store.changes(after: from, limit: ProtocolVersion.maxPermitsPerPage, maxBytes: ProtocolVersion.maxPageBytes) {
            case .changes(let permits, let head): return .changes(.init(permits: permits, headSeq: head))
            case .snapshotRequired(let head): return .snapshotRequired(headSeq: head)
            }
        case .snapshot(let after):
            return .snapshotPage(try store.snapshotPage(after: after, limit: ProtocolVersion.maxPermitsPerPage, maxBytes: ProtocolVersion.maxPageBytes))
        case .events(let events, let origin):
            guard events.count <= ProtocolVersion.maxEventsPerBatch else {
                return .error(WireError(.tooLarge, "at most \(ProtocolVersion.maxEventsPerBatch) events per message"), inReplyTo: "events")
            }
            if let problem = Event.problem(inBatch: events) {
                return .error(WireError(.invalid, problem), inReplyTo: "events")
            }
            let origin = origin ?? ""
            if let problem = Event.problem(inOrigin: origin) { return .error(WireError(.invalid, problem), inReplyTo: "events") }
            // Committed with the round's other batches (see `commitGroup`), acknowledged after.
            group.append(PendingBatch(
                routingID: routingID, batch: CentralStore.EventBatch(events: events, gateID: gate.id, origin: origin), size: payload.count,
                digest: SHA256.hash(data: payload)))
            groupEvents += events.count
            return nil
        case .evidence(let chunk):
            if let problem = chunk.problem { return .error(WireError(.invalid, problem), inReplyTo: "evidence") }
            let ack = try store.receiveEvidence(chunk, gateID: gate.id)
            if let error = ack.error {
                logger.warning("evidence refused", metadata: [
                    "gate.id": "\(gate.id)", "event.seq": "\(chunk.seq)", "image.role": "\(chunk.role)", "error": "\(LogText.escaped(error, limit: 300))",
                ])
            } else if ack.complete {
                logger.debug("evidence image stored", metadata: ["gate.id": "\(gate.id)", "event.seq": "\(chunk.seq)", "image.role": "\(chunk.role)"])
            }
            return .evidenceAck(ack)
        case .heartbeat(let report):
            health[gate.id] = (Date(), report)
            healthDirty.insert(gate.id)
            let heads = try heads(now: .now)
            return .heartbeatAck(headSeq: heads.permits, serverTimeMilliseconds: Self.milliseconds(Date()), holidaysSeq: heads.holidays)
        }
    }

    /// The permit and holiday heads a heartbeat ack carries, read at most every 100 ms: 300 gates
    /// beating every second would otherwise cost 300 reads a second on this thread (on PostgreSQL,
    /// round trips). A head up to 100 ms old is harmless: pushes carry changes, and the next ack the new head.
    mutating func heads(now: Instant) throws -> (permits: Int64, holidays: Int64?) {
        if let cached = cachedHeads, now - cached.at < .milliseconds(100) { return (cached.permits, cached.holidays) }
        let heads = try store.heads()
        cachedHeads = (now, heads.permits, heads.holidays)
        return heads
    }

    /// Pins the signing key a gate announces when central holds none (trust on
    /// first use), and refuses a hello announcing another one than it holds.
    func checkSigningKey(_ announced: String?, gate: Gate) throws -> CentralMessage? {
        guard let announced else { return nil }
        guard SigningKey.publicKey(base64: announced) != nil else {
            return .error(WireError(.invalid, "signing_key must be a 32-byte Ed25519 public key in base64"), inReplyTo: "hello")
        }
        switch try store.checkAnnouncedSigningKey(gateID: gate.id, announced: announced) {
        case .matches:
            return nil
        case .pinned:
            logger.notice(
                "pinned the gate's event signing key at its first hello (trust on first use)",
                metadata: ["gate.id": "\(gate.id)", "signing_key": "\(announced)"])
            return nil
        case .mismatch(let held, let firstTime):
            if firstTime {
                logger.error(
                    "gate announced another event signing key than central holds; refused",
                    metadata: ["gate.id": "\(gate.id)", "signing_key": "\(announced)", "signing_key.held": "\(held)"])
            }
            return .error(
                WireError(
                    .signingKeyMismatch,
                    "this gate signs with key \(announced), but central holds \(held) for gate \(gate.id); if the gate's signing key was "
                        + "replaced on purpose, register the new one: bollard-central gates register --id \(gate.id) … --signing-key \(announced)"),
                inReplyTo: "hello")
        }
    }

    func reply(_ routingID: [UInt8], _ message: CentralMessage) {
        do { try router.send([routingID, WireCodec.encode(message)], dontWait: true) } catch {
            // Peer gone or its queue full: it will ask again when it reconnects.
            logger.debug("reply not delivered", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Push and health

    mutating func periodic(now: Instant) throws {
        // Every push interval, or at once while a previous pass left pages to push.
        // On PostgreSQL a notification says when to look; the change log is still read every second
        // (the sequence is the truth: a notification lost with a connection is caught up).
        let signals = store.permitChangeSignals
        let interval = signals == nil ? server.options.pushInterval : max(server.options.pushInterval, 1)
        if pushBacklog || (signals != nil && signals != lastSignals)
            || lastPush.map({ now - $0 >= .milliseconds(Int64(interval * 1000)) }) ?? true
        {
            lastPush = now
            lastSignals = signals
            pushBacklog = try pushNewChanges(now: now)
        }
        if now - lastHealthFlush >= .milliseconds(Int64(server.options.healthFlushInterval * 1000)) {
            lastHealthFlush = now
            flushHealth()
            sessions = sessions.filter { now - $0.value.lastSeen < .seconds(3600) }
        }
    }

    /// Sends the changes made since the last push to every live gate, one
    /// page per pass of the loop, so that a bulk import (head moving all the
    /// time) never keeps the loop pushing instead of serving gates. A gate
    /// that misses a push sees a gap at the next, or a newer head in its next
    /// heartbeat ack, and asks for what it lacks. Returns whether more remain.
    @discardableResult
    mutating func pushNewChanges(now: Instant) throws -> Bool {
        let permits: [Permit], head: Int64
        switch try store.changes(after: lastPushedSeq, limit: ProtocolVersion.maxPermitsPerPage, maxBytes: ProtocolVersion.maxPageBytes) {
        case .changes(let page, let pageHead):
            (permits, head) = (page, pageHead)
        case .snapshotRequired(let pageHead):
            // Too many to push (bulk import): gates catch up through sync.
            lastPushedSeq = max(lastPushedSeq, pageHead)
            return false
        }
        // Nothing new. The head is the one read with the page: a head read again here could
        // include a change committed in between, which would then never be pushed.
        guard let last = permits.last else {
            lastPushedSeq = max(lastPushedSeq, head)
            return false
        }
        let frame = WireCodec.encode(CentralMessage.changes(.init(permits: permits, headSeq: head)))
        for (gateID, session) in sessions where !session.unreachable {
            do { _ = try router.send([session.routingID, frame], dontWait: true) } catch {
                if (error as? ZMQError)?.isHostUnreachable == true { sessions[gateID]?.markUnreachable() }
                logger.debug("push not delivered", metadata: ["gate.id": "\(gateID)", "error": "\(error)"])
            }
        }
        lastPushedSeq = last.seq
        return last.seq < head
    }

    mutating func flushHealth() {
        guard !healthDirty.isEmpty else { return }
        // The health flusher service writes it to the store, off this thread.
        server.pendingHealth.deposit(healthDirty.compactMap { id in health[id].map { (gateID: id, lastSeen: $0.lastSeen, health: $0.health) } })
        healthDirty.removeAll()
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}
