import BollardSupport
import Domain
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
        /// A gate silent this long no longer receives pushes.
        public var liveWindow: Double = 10
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
        let context = try ZMQContext()
        // The ZAP handler must exist before the CURVE socket binds: without it
        // libzmq admits any client that knows the server key.
        let zap = try ZAPHandler(context: context)
        let router = try ZMQSocket(context: context, type: .router)
        try router.makeCurveServer(secretKey: options.secretKey)
        try router.setOption(ZMQOption.zapDomain, string: "bollard")
        try router.setOption(ZMQOption.routerMandatory, Int32(1))
        try router.setOption(ZMQOption.routerHandover, Int32(1))
        try router.setOption(ZMQOption.maxMessageSize, Int64(ProtocolVersion.maxFrameBytes))
        try router.setOption(ZMQOption.heartbeatInterval, Int32(1000))
        try router.setOption(ZMQOption.heartbeatTimeout, Int32(3000))
        try router.setOption(ZMQOption.sendHighWaterMark, Int32(10_000))
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
struct ServerLoop {
    struct Peer {
        var routingID: [UInt8]
        var lastSeen: Date
        var health: GateHealth?
        var healthDirty = false
    }

    let server: GateServer
    let zap: ZAPHandler
    let router: ZMQSocket
    var peers: [String: Peer] = [:]
    var keys: [String: CentralStore.GateRecord] = [:]
    var gatesByID: [String: CentralStore.GateRecord] = [:]
    var keysLoaded = Date.distantPast
    var lastPushedSeq: Int64 = 0
    var lastPush = Date.distantPast
    var lastHealthFlush = Date()
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
                _ = try ZMQPoller.poll([zap.socket, router], timeoutMilliseconds: 20)
                try refreshKeysIfStale()
                while try zap.handleOne(dontWait: true, decide: { request in
                    if let key = request.curvePublicKey, keys[key] == nil { try? refreshKeysIfStale(maxAge: 0.1) }
                    return authenticate(request)
                }) {}
                var handled = 0
                while handled < 1_000, let message = try router.receive(dontWait: true) {
                    handle(message)
                    handled += 1
                }
                try periodic(now: Date())
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
    mutating func refreshKeysIfStale(maxAge: Double = 1) throws {
        guard Date().timeIntervalSince(keysLoaded) > maxAge else { return }
        let records = try store.gates()
        keys = Dictionary(records.map { ($0.publicKey, $0) }, uniquingKeysWith: { first, _ in first })
        gatesByID = Dictionary(records.map { ($0.gate.id, $0) }, uniquingKeysWith: { first, _ in first })
        keysLoaded = Date()
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

    mutating func handle(_ message: ZMQMessage) {
        guard message.frames.count == 2, let gateID = message.userID, let record = gatesByID[gateID] else {
            if let routingID = message.frames.first {
                reply(routingID, .error(WireError(.malformed, "expected exactly one frame per message"), inReplyTo: nil))
            }
            return
        }
        let routingID = message.frames[0]
        let payload = message.frames[1]
        if record.revoked {
            reply(routingID, .error(WireError(.revoked, "this gate's key has been revoked"), inReplyTo: WireCodec.peekType(payload)))
            return
        }
        let now = Date()
        peers[gateID, default: Peer(routingID: routingID, lastSeen: now)].routingID = routingID
        peers[gateID]?.lastSeen = now
        let decoded: GateMessage
        do { decoded = try WireCodec.decodeGateMessage(payload) } catch {
            logger.notice("bad message from gate", metadata: ["gate.id": "\(gateID)", "error": "\(error)"])
            reply(routingID, .error(error, inReplyTo: WireCodec.peekType(payload)))
            return
        }
        do {
            if let answer = try respond(to: decoded, gate: record.gate, now: now) { reply(routingID, answer) }
        } catch {
            // Most likely the disk: tell the gate to retry, keep serving the others.
            logger.error("could not serve gate", metadata: ["gate.id": "\(gateID)", "message.type": "\(decoded.type)", "error": "\(error)"])
            reply(routingID, .error(WireError(.unavailable, "central could not complete '\(decoded.type)'; retry"), inReplyTo: decoded.type))
        }
    }

    mutating func respond(to message: GateMessage, gate: Gate, now: Date) throws -> CentralMessage? {
        switch message {
        case .hello(let hello):
            guard let version = ProtocolVersion.negotiate(hello.versions) else {
                return .error(WireError(.unsupportedVersion, "central speaks \(ProtocolVersion.supported)"), inReplyTo: "hello")
            }
            if let claimed = hello.gateID, claimed != gate.id {
                logger.warning("gate claims another id; its key decides", metadata: ["gate.id": "\(gate.id)", "gate.claimed": "\(claimed.prefix(64))"])
            }
            logger.info("gate said hello", metadata: ["gate.id": "\(gate.id)", "permits.seq": "\(hello.permitSeq)"])
            return .welcome(.init(
                version: version, gate: gate, headSeq: try store.headSeq(), holidays: try store.holidays(),
                serverTimeMilliseconds: Self.milliseconds(now)))
        case .sync(let from):
            switch try store.changes(after: from, limit: ProtocolVersion.maxPermitsPerPage) {
            case .changes(let permits, let head): return .changes(.init(permits: permits, headSeq: head))
            case .snapshotRequired(let head): return .snapshotRequired(headSeq: head)
            }
        case .snapshot(let after):
            return .snapshotPage(try store.snapshotPage(after: after, limit: ProtocolVersion.maxPermitsPerPage))
        case .events(let events):
            guard events.count <= ProtocolVersion.maxEventsPerBatch else {
                return .error(WireError(.tooLarge, "at most \(ProtocolVersion.maxEventsPerBatch) events per message"), inReplyTo: "events")
            }
            if let problem = Event.problem(inBatch: events) {
                return .error(WireError(.invalid, problem), inReplyTo: "events")
            }
            let seqs = try store.store(events: events, from: gate.id)
            return .ack(seqs: seqs)
        case .heartbeat(let health):
            peers[gate.id]?.health = health
            peers[gate.id]?.healthDirty = true
            return .heartbeatAck(headSeq: try store.headSeq(), serverTimeMilliseconds: Self.milliseconds(now))
        }
    }

    func reply(_ routingID: [UInt8], _ message: CentralMessage) {
        do { try router.send([routingID, WireCodec.encode(message)], dontWait: true) } catch {
            // Peer gone or its queue full: it will ask again when it reconnects.
            logger.debug("reply not delivered", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Push and health

    mutating func periodic(now: Date) throws {
        if now.timeIntervalSince(lastPush) >= server.options.pushInterval {
            lastPush = now
            try pushNewChanges(now: now)
        }
        if now.timeIntervalSince(lastHealthFlush) >= server.options.healthFlushInterval {
            lastHealthFlush = now
            flushHealth()
            peers = peers.filter { now.timeIntervalSince($0.value.lastSeen) < 3600 }
        }
    }

    /// Sends each change made since the last push to every live gate.
    /// A gate that misses one sees a gap at the next and resyncs.
    mutating func pushNewChanges(now: Date) throws {
        var from = lastPushedSeq
        while true {
            guard case .changes(let permits, let head) = try store.changes(after: from, limit: ProtocolVersion.maxPermitsPerPage),
                let last = permits.last
            else {
                // Too many to push (bulk import): gates catch up through sync.
                lastPushedSeq = max(lastPushedSeq, try store.headSeq())
                return
            }
            let frame = WireCodec.encode(CentralMessage.changes(.init(permits: permits, headSeq: head)))
            for (_, peer) in peers where now.timeIntervalSince(peer.lastSeen) < server.options.liveWindow {
                _ = try? router.send([peer.routingID, frame], dontWait: true)
            }
            from = last.seq
            lastPushedSeq = last.seq
            if last.seq >= head { return }
        }
    }

    mutating func flushHealth() {
        let dirty = peers.filter { $0.value.healthDirty && $0.value.health != nil }
        guard !dirty.isEmpty else { return }
        // The health flusher service writes it to the store, off this thread.
        server.pendingHealth.deposit(dirty.map { (gateID: $0.key, lastSeen: $0.value.lastSeen, health: $0.value.health!) })
        for id in dirty.keys { peers[id]?.healthDirty = false }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}
