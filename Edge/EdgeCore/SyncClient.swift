import BollardSupport
import Domain
import Foundation
import Logging
import Synchronization
import WireProtocol
import ZMQ

/// Keeps the gate in step with central over one CURVE-authenticated DEALER
/// socket: says hello, applies permit changes (or fetches a snapshot when too
/// far behind), uploads committed events until they are acknowledged, and
/// sends heartbeats.
///
/// The socket lives on the client's own thread (ZMQ sockets are not
/// thread-safe; blocking polls stay off Swift's cooperative pool). Other
/// threads see only `link`, a small locked summary.
public final class SyncClient: Sendable {
    /// What the rest of the gate may know about the link to central.
    public struct Link: Sendable {
        public var lastHeard: Date?
        public var centralHeadSeq: Int64?
        public var lastError: String?
        public var syncing = false
    }

    public struct Credentials: Sendable {
        public var publicKey: String
        public var secretKey: String
        public var centralPublicKey: String
        public init(publicKey: String, secretKey: String, centralPublicKey: String) {
            self.publicKey = publicKey
            self.secretKey = secretKey
            self.centralPublicKey = centralPublicKey
        }
    }

    private let endpoint: String
    private let credentials: Credentials
    private let controller: GateController
    private let heartbeatInterval: Double
    private let gateID: String
    private let logger: Logger
    private let linkState = Mutex(Link())
    /// The sync thread; the gate's sync service waits on it.
    public let thread: OwnedThread
    /// Beats once per loop iteration (every 20 ms or so); the watchdog watches it.
    public let progress = ProgressReporter(name: "sync", deadline: .seconds(10))

    public init(
        endpoint: String, credentials: Credentials, controller: GateController, heartbeatInterval: Double,
        gateID: String, logger: Logger
    ) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.controller = controller
        self.heartbeatInterval = heartbeatInterval
        self.gateID = gateID
        self.logger = logger
        thread = OwnedThread(name: "sync-client", logger: logger)
    }

    public var link: Link { linkState.withLock { $0 } }

    /// Whether central answered within three heartbeats.
    public var isConnected: Bool {
        guard let heard = link.lastHeard else { return false }
        return Date().timeIntervalSince(heard) < max(3 * heartbeatInterval, 1.5)
    }

    public func start() throws {
        let context = try ZMQContext()
        // Fail fast on a bad endpoint or key: those are configuration errors.
        let socket = try makeSocket(context)
        let handOff = ThreadHandOff((context: context, socket: socket))
        thread.start { [self] in
            let (context, socket) = handOff.value
            var session = Session(client: self, context: context, socket: socket)
            session.run()
            session.socket.close()
            context.shutdown()
        }
    }

    /// A connected DEALER with our keys and options.
    func makeSocket(_ context: ZMQContext) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.makeCurveClient(
            serverPublicKey: credentials.centralPublicKey, publicKey: credentials.publicKey,
            secretKey: credentials.secretKey)
        // Queue nothing for a peer that is not connected: what we send while
        // offline is stale by the time we reconnect, and events stay in SQLite anyway.
        try socket.setOption(ZMQOption.immediate, Int32(1))
        try socket.setOption(ZMQOption.reconnectInterval, Int32(100))
        try socket.setOption(ZMQOption.reconnectIntervalMax, Int32(2000))
        try socket.setOption(ZMQOption.heartbeatInterval, Int32(1000))
        try socket.setOption(ZMQOption.heartbeatTimeout, Int32(3000))
        try socket.setOption(ZMQOption.maxMessageSize, Int64(ProtocolVersion.maxFrameBytes * 8))
        try socket.connect(endpoint)
        return socket
    }

    /// Stops the sync thread, waiting a bounded time (see `OwnedThread`).
    public func stop() {
        thread.stop()
    }

    /// The thread's state. Everything here is touched by the sync thread only.
    private struct Session {
        enum PermitSync {
            case idle
            case awaitingChanges(since: Date)
            case snapshot(baseSeq: Int64?, since: Date)
        }

        let client: SyncClient
        let context: ZMQContext
        var socket: ZMQSocket
        var socketCreated = Date()
        var permitSync = PermitSync.idle
        var lastHello = Date.distantPast
        var lastHeartbeat = Date.distantPast
        var inflight: Set<Int64> = []
        var inflightSentAt = Date.distantPast
        var controller: GateController { client.controller }
        var logger: Logger { client.logger }

        init(client: SyncClient, context: ZMQContext, socket: ZMQSocket) {
            self.client = client
            self.context = context
            self.socket = socket
        }

        mutating func run() {
            while !client.thread.isStopping {
                client.progress.beat()
                do {
                    _ = try ZMQPoller.poll([socket], timeoutMilliseconds: 20)
                    while let message = try socket.receive(dontWait: true) {
                        handle(message)
                    }
                    try tick(now: Date())
                } catch {
                    client.linkState.withLock { $0.lastError = "\(error)" }
                    logger.error("sync loop error", metadata: ["error": "\(error)"])
                    Thread.sleep(forTimeInterval: 0.2)
                }
            }
        }

        mutating func tick(now: Date) throws {
            let connected = client.isConnected
            try renewSocketIfSilent(now: now, connected: connected)
            if !connected, now.timeIntervalSince(lastHello) >= client.heartbeatInterval {
                lastHello = now
                inflight.removeAll()
                send(.hello(.init(software: EdgeConfiguration.software, permitSeq: controller.permits.seq, gateID: client.gateID)))
            }
            if now.timeIntervalSince(lastHeartbeat) >= client.heartbeatInterval {
                lastHeartbeat = now
                send(.heartbeat(controller.health()))
            }
            switch permitSync {
            case .awaitingChanges(let since), .snapshot(_, let since):
                // An answer lost with a dropped connection: start over at the next heartbeat ack.
                if now.timeIntervalSince(since) > 10 { setPermitSync(.idle) }
            case .idle: break
            }
            if controller.storageProblem != nil { try? controller.storeHeld() }
            if connected { try upload(now: now) }
        }

        /// libzmq stops retrying after central refuses our key during the
        /// handshake (say, before an operator registered this gate). A fresh
        /// socket after 10 s of silence makes the gate try again by itself.
        mutating func renewSocketIfSilent(now: Date, connected: Bool) throws {
            guard !connected, now.timeIntervalSince(socketCreated) > 10 else { return }
            if let heard = client.link.lastHeard, heard > socketCreated, now.timeIntervalSince(heard) < 10 { return }
            socket.close()
            socket = try client.makeSocket(context)
            socketCreated = now
            inflight.removeAll()
            logger.debug("sync socket renewed after silence")
        }

        /// Sends the next batch when nothing is in flight, or resends one unanswered for 5 s.
        mutating func upload(now: Date) throws {
            guard inflight.isEmpty || now.timeIntervalSince(inflightSentAt) > 5 else { return }
            // The loop runs every 20 ms: ask SQLite only when there is something to send.
            guard controller.buffer.count > 0 else { return }
            let batch = try controller.buffer.pending(limit: ProtocolVersion.maxEventsPerBatch)
            guard !batch.isEmpty else { return }
            if send(.events(batch)) {
                inflight = Set(batch.map(\.seq))
                inflightSentAt = now
            }
        }

        @discardableResult
        func send(_ message: GateMessage) -> Bool {
            do {
                return try socket.send([WireCodec.encode(message)], dontWait: true)
            } catch {
                logger.warning("send failed", metadata: ["message.type": "\(message.type)", "error": "\(error)"])
                return false
            }
        }

        mutating func handle(_ message: ZMQMessage) {
            guard let frame = message.frames.last else { return }
            let decoded: CentralMessage
            do { decoded = try WireCodec.decodeCentralMessage(frame) } catch {
                logger.warning("undecodable message from central", metadata: ["error": "\(error)"])
                return
            }
            if case .error(let error, _) = decoded, error.code == .revoked {
                // Central answers, but only to say no: this gate is not connected in any useful sense.
                client.linkState.withLock {
                    $0.lastHeard = nil
                    $0.lastError = "central revoked this gate's key: \(error.message)"
                }
                logger.error("central revoked this gate's key; deciding offline until it is registered again")
                return
            }
            client.linkState.withLock { $0.lastHeard = Date() }
            do { try handle(decoded) } catch {
                client.linkState.withLock { $0.lastError = "\(error)" }
                logger.error("could not apply message from central", metadata: ["message.type": "\(decoded.type)", "error": "\(error)"])
            }
        }

        mutating func handle(_ message: CentralMessage) throws {
            let held = controller.permits.seq
            switch message {
            case .welcome(let welcome):
                logger.info("central welcomed gate", metadata: ["gate.id": "\(welcome.gate.id)", "central.head": "\(welcome.headSeq)"])
                let holidays = HolidayCalendar(Set(welcome.holidays.compactMap(LocalDate.init)))
                controller.permits.update(gate: welcome.gate, holidays: holidays)
                try controller.buffer.setMeta("gate", String(decoding: try JSONEncoder().encode(welcome.gate), as: UTF8.self))
                try controller.buffer.setMeta("holidays", welcome.holidays.joined(separator: "\n"))
                noteHead(welcome.headSeq)
                if welcome.headSeq != held { requestChanges(from: held) }
            case .changes(let changes):
                noteHead(changes.headSeq)
                if case .snapshot = permitSync { return }
                let fresh = changes.permits.filter { $0.seq > held }
                if let first = fresh.first {
                    let consecutive = zip(fresh, fresh.dropFirst()).allSatisfy { $1.seq == $0.seq + 1 }
                    guard first.seq == held + 1, consecutive else {
                        logger.notice("gap in permit changes; resyncing", metadata: ["permits.held": "\(held)", "permits.first": "\(first.seq)"])
                        requestChanges(from: held)
                        return
                    }
                    let newHeld = fresh.last!.seq
                    try controller.buffer.apply(changes: fresh, heldSeq: newHeld)
                    controller.permits.apply(changes: fresh, heldSeq: newHeld)
                    logger.debug("permit changes applied", metadata: ["permits.seq": "\(newHeld)"])
                }
                let nowHeld = controller.permits.seq
                if changes.headSeq > nowHeld { requestChanges(from: nowHeld) } else { setPermitSync(.idle) }
            case .snapshotRequired(let head):
                noteHead(head)
                logger.notice("central asks for a snapshot", metadata: ["permits.held": "\(held)", "central.head": "\(head)"])
                try startSnapshot()
            case .snapshotPage(let page):
                guard case .snapshot(let base, _) = permitSync else { return }
                let baseSeq = base ?? page.baseSeq
                try controller.buffer.stage(snapshotPage: page.permits)
                if let next = page.nextAfter {
                    setPermitSync(.snapshot(baseSeq: baseSeq, since: Date()))
                    send(.snapshot(afterID: next))
                } else {
                    try controller.buffer.commitSnapshot(baseSeq: baseSeq)
                    let stored = try controller.buffer.loadPermits()
                    controller.permits.replace(with: stored.permits, seq: stored.seq)
                    logger.info("permit snapshot installed", metadata: ["permits.count": "\(stored.permits.count)", "permits.seq": "\(baseSeq)"])
                    requestChanges(from: baseSeq)
                }
            case .ack(let seqs):
                try controller.buffer.acknowledge(seqs)
                inflight.subtract(seqs)
                if inflight.isEmpty { try upload(now: Date()) }
            case .heartbeatAck(let head, let serverTime):
                noteHead(head)
                let drift = Double(serverTime) / 1000 - Date().timeIntervalSince1970
                if abs(drift) > 2 { logger.warning("clock differs from central", metadata: ["clock.drift_s": "\(drift)"]) }
                if case .idle = permitSync {
                    if head > held { requestChanges(from: held) }
                    else if head < held {
                        // Central's history is behind ours (restored from backup?): start over from its state.
                        logger.warning("central is behind this gate; fetching a snapshot", metadata: ["permits.held": "\(held)", "central.head": "\(head)"])
                        try startSnapshot()
                    }
                }
            case .error(let error, let inReplyTo):
                client.linkState.withLock { $0.lastError = error.description }
                logger.warning("central refused a message", metadata: ["error.code": "\(error.code.rawValue)", "error.message": "\(error.message)", "in_reply_to": "\(inReplyTo ?? "-")"])
            }
        }

        /// Clears the staging area and asks for the first page of the permit set.
        mutating func startSnapshot() throws {
            try controller.buffer.beginSnapshot()
            setPermitSync(.snapshot(baseSeq: nil, since: Date()))
            send(.snapshot(afterID: nil))
        }

        mutating func requestChanges(from seq: Int64) {
            setPermitSync(.awaitingChanges(since: Date()))
            send(.sync(fromSeq: seq))
        }

        mutating func setPermitSync(_ state: PermitSync) {
            permitSync = state
            let syncing = if case .idle = state { false } else { true }
            client.linkState.withLock { $0.syncing = syncing }
        }

        func noteHead(_ head: Int64) {
            client.linkState.withLock { $0.centralHeadSeq = head }
        }
    }
}
