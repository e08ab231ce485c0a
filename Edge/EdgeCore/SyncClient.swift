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
/// Given several central endpoints (instances sharing one database), it uses one
/// at a time and moves to the next when the state machine says central there is
/// gone (`GateSyncStateMachine.failoverDue`); the session carries over.
///
/// The socket lives on the client's own thread (ZMQ sockets are not
/// thread-safe; blocking polls stay off Swift's cooperative pool). Other
/// threads see only `link`, a small locked summary.
public final class SyncClient: Sendable {
    /// What the rest of the gate may know about the link to central.
    public struct Link: Sendable {
        /// Central answered within three heartbeats.
        public var connected = false
        /// Seconds since central last answered (monotonic); nil if never.
        public var secondsSinceCentral: Double?
        public var centralHeadSeq: Int64?
        public var lastError: String?
        public var syncing = false
        /// Central refuses the signing key this gate announced (revision 4): why, in its words.
        public var signingKeyRefusal: String?
        /// Seconds since central last acknowledged events (monotonic); nil if not since start.
        public var secondsSinceAck: Double?
        /// Central welcomed this gate since start (it accepts the gate's key).
        public var welcomed = false
        /// Why the gate cannot connect, as libzmq's socket monitor tells it; nil when connected or unknown.
        public var diagnosis: ConnectionDiagnosis.Verdict?
        /// The central endpoint in use, and its place in the configured list.
        public var endpoint = ""
        public var endpointIndex = 0
        /// Moves from one central endpoint to the next since start.
        public var failovers = 0
    }

    /// One central instance the gate may use: where it listens and its public key.
    public struct Central: Sendable, Equatable {
        public var endpoint: String
        public var publicKey: String
        public init(endpoint: String, publicKey: String) {
            self.endpoint = endpoint
            self.publicKey = publicKey
        }
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

    /// The central instances, in the order they are tried; never empty.
    public let centrals: [Central]
    private let credentials: Credentials
    private let controller: GateController
    /// Seconds; SIGHUP may change it (`setHeartbeatInterval`), the sync thread picks it up at its next turn.
    private let heartbeatInterval: Mutex<Double>
    private let gateID: String
    private let logger: Logger
    /// The largest evidence chunk this gate sends (`evidence_chunk_kib`).
    let evidenceChunkBytes: Int
    private let linkState = Mutex(Link())
    /// The sync thread; the gate's sync service waits on it.
    public let thread: OwnedThread
    /// Beats once per loop iteration (every 20 ms or so); the watchdog watches it.
    public let progress = ProgressReporter(name: "sync", deadline: .seconds(10))

    /// A client of one central at `endpoint` with `credentials.centralPublicKey`.
    public convenience init(
        endpoint: String, credentials: Credentials, controller: GateController, heartbeatInterval: Double,
        gateID: String, logger: Logger
    ) {
        self.init(
            centrals: [Central(endpoint: endpoint, publicKey: credentials.centralPublicKey)], credentials: credentials, controller: controller,
            heartbeatInterval: heartbeatInterval, gateID: gateID, logger: logger)
    }

    /// A client that fails over between `centrals` (at least one), in that order, sending
    /// evidence in pieces of at most `evidenceChunkBytes` (clamped to 1 … the protocol's limit).
    public init(
        centrals: [Central], credentials: Credentials, controller: GateController, heartbeatInterval: Double,
        gateID: String, logger: Logger, evidenceChunkBytes: Int = ProtocolVersion.maxEvidenceChunkBytes
    ) {
        precondition(!centrals.isEmpty, "at least one central endpoint")
        self.centrals = centrals
        self.evidenceChunkBytes = min(max(1, evidenceChunkBytes), ProtocolVersion.maxEvidenceChunkBytes)
        self.credentials = credentials
        self.controller = controller
        self.heartbeatInterval = Mutex(heartbeatInterval)
        self.gateID = gateID
        self.logger = logger
        thread = OwnedThread(name: "sync-client", logger: logger)
        linkState.withLock { $0.endpoint = centrals[0].endpoint }
    }

    public var link: Link { linkState.withLock { $0 } }

    /// Whether central answered within three heartbeats.
    public var isConnected: Bool { link.connected }

    var machineConfiguration: GateSyncStateMachine.Configuration {
        GateSyncStateMachine.Configuration(heartbeatInterval: .milliseconds(Int64(heartbeatInterval.withLock { $0 } * 1000)))
    }

    /// A new heartbeat interval (seconds), used from the sync loop's next turn.
    public func setHeartbeatInterval(_ seconds: Double) { heartbeatInterval.withLock { $0 = seconds } }

    public func start() throws {
        let context = try ZMQContext()
        // Fail fast on a bad endpoint or key: those are configuration errors (the other endpoints'
        // were checked by the configuration reader and their keys when read).
        let (socket, monitor) = try makeSocket(context, monitorAddress: Self.monitorAddress(0), central: 0)
        let handOff = ThreadHandOff((context: context, socket: socket, monitor: monitor))
        thread.start { [self] in
            let (context, socket, monitor) = handOff.value
            var session = Session(client: self, context: context, socket: socket, monitor: monitor)
            session.run()
            session.socket.close()
            session.monitor.close()
            context.shutdown()
        }
    }

    /// The inproc address the `number`th socket's monitor reports on (unique within the context).
    static func monitorAddress(_ number: Int) -> String { "inproc://sync-monitor-\(number)" }

    /// The options of a gate's socket to central (the scale bench's simulated gates use them too).
    public static func applyGateSocketOptions(_ socket: ZMQSocket) throws {
        // Queue nothing for a peer that is not connected: what we send while
        // offline is stale by the time we reconnect, and events stay in SQLite anyway.
        try socket.setOption(ZMQOption.immediate, Int32(1))
        try socket.setOption(ZMQOption.reconnectInterval, Int32(100))
        try socket.setOption(ZMQOption.reconnectIntervalMax, Int32(2000))
        try socket.setOption(ZMQOption.heartbeatInterval, Int32(1000))
        try socket.setOption(ZMQOption.heartbeatTimeout, Int32(3000))
        try socket.setOption(ZMQOption.maxMessageSize, Int64(ProtocolVersion.maxTransportFrameBytes))
    }

    /// A DEALER connected to central number `central`, with our keys and options, and the monitor PAIR its connection events arrive on.
    func makeSocket(_ context: ZMQContext, monitorAddress: String, central: Int) throws -> (socket: ZMQSocket, monitor: ZMQSocket) {
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.makeCurveClient(
            serverPublicKey: centrals[central].publicKey, publicKey: credentials.publicKey,
            secretKey: credentials.secretKey)
        try Self.applyGateSocketOptions(socket)
        // Watched before connecting, so the first refusal is seen too (issue: say why a gate cannot connect).
        let monitor = try socket.monitor(
            address: monitorAddress,
            events: [.connected, .connectRetried, .disconnected, .handshakeSucceeded, .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth])
        try socket.connect(centrals[central].endpoint)
        return (socket, monitor)
    }

    /// Stops the sync thread, waiting a bounded time (see `OwnedThread`).
    public func stop() {
        thread.stop()
    }

    /// The thread's state: the socket, and the state machine it carries out.
    /// Everything here is touched by the sync thread only.
    private struct Session {
        let client: SyncClient
        let context: ZMQContext
        var socket: ZMQSocket
        /// The PAIR the socket's connection events arrive on, and what they say.
        var monitor: ZMQSocket
        var monitorCount = 0
        var diagnosis = ConnectionDiagnosis()
        /// Central welcomed this gate's key at some time (kept in the buffer's meta), or said it revoked it.
        var admittedBefore: Bool
        var revokedBefore: Bool
        var machine: GateSyncStateMachine
        var controller: GateController { client.controller }
        var logger: Logger { client.logger }
        /// Where each evidence image's upload stands, as central last answered
        /// (after a restart central's answer to the first chunk says it again).
        var evidenceOffsets: [EvidenceKey: Int] = [:]
        /// The image whose chunk is in flight.
        var evidenceCurrent: EvidenceKey?
        /// No image was pending when last asked: ask SQLite again after this, or after the next ack.
        var evidenceIdleUntil: ContinuousClock.Instant?
        /// When central last acknowledged events, and whether it ever welcomed us (for `bollardctl sync`).
        var lastAck: ContinuousClock.Instant?
        var welcomed = false

        struct EvidenceKey: Hashable {
            var origin: String
            var seq: Int64
            var role: String
        }

        init(client: SyncClient, context: ZMQContext, socket: ZMQSocket, monitor: ZMQSocket) {
            self.client = client
            self.context = context
            self.socket = socket
            self.monitor = monitor
            admittedBefore = ((try? client.controller.buffer.meta("central_admitted")) ?? nil) == "1"
            revokedBefore = ((try? client.controller.buffer.meta("central_revoked")) ?? nil) == "1"
            let holidaysSeq = (try? client.controller.buffer.meta("holidays_seq")).flatMap { $0.flatMap { Int64($0) } }
            machine = GateSyncStateMachine(
                configuration: client.machineConfiguration, held: client.controller.permits.seq, holidaysSeq: holidaysSeq,
                endpointCount: client.centrals.count, now: .now)
        }

        mutating func run() {
            while !client.thread.isStopping {
                client.progress.beat()
                let interval = client.machineConfiguration.heartbeatInterval
                if machine.configuration.heartbeatInterval != interval { machine.configuration.heartbeatInterval = interval }
                do {
                    _ = try ZMQPoller.poll([socket], timeoutMilliseconds: 20)
                    // At most 16 messages a turn: a stream of large pushes must not keep
                    // heartbeats and uploads waiting.
                    var taken = 0
                    while taken < 16, let message = try socket.receive(dontWait: true) {
                        taken += 1
                        handle(message)
                    }
                    readMonitor()
                    if controller.storageProblem != nil { try? controller.storeHeld() }
                    try perform(machine.tick(now: .now))
                } catch {
                    machine.noteProblem("sync loop: \(error)", now: .now)
                    logger.error("sync loop error", metadata: ["error": "\(error)"])
                    Thread.sleep(forTimeInterval: 0.2)
                }
                publish()
            }
        }

        /// Takes the socket's connection events; a new explanation of why central cannot be reached is logged once.
        mutating func readMonitor() {
            while let event = try? monitor.receiveMonitorEvent(dontWait: true) {
                let before = diagnosis.verdict
                diagnosis.note(event, admittedBefore: admittedBefore, revokedBefore: revokedBefore)
                switch event.kind {
                case .handshakeSucceeded: machine.transport(up: true)
                case .disconnected, .connectRetried, .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth:
                    machine.transport(up: false)
                default: break
                }
                if let verdict = diagnosis.verdict, verdict != before {
                    logger.warning("cannot connect to central", metadata: [
                        "sync.diagnosis": "\(verdict)", "endpoint": "\(event.endpoint)", "zmq.event.value": "\(event.value)",
                    ])
                }
            }
        }

        /// Remembers across restarts whether central admitted this gate's key, or revoked it.
        mutating func remember(admitted: Bool) {
            if admitted {
                admittedBefore = true
                revokedBefore = false
                try? controller.buffer.setMeta("central_admitted", "1")
                try? controller.buffer.setMeta("central_revoked", "0")
            } else {
                revokedBefore = true
                diagnosis.noteRevoked()
                try? controller.buffer.setMeta("central_revoked", "1")
            }
        }

        mutating func handle(_ message: ZMQMessage) {
            guard let frame = message.frames.last else { return }
            let decoded: CentralMessage
            do { decoded = try WireCodec.decodeCentralMessage(frame) } catch {
                // Said loudly: in the status, at central (health problems) and in the log.
                machine.undecodable("\(error)", now: .now)
                logger.error("could not take a message from central", metadata: ["error": "\(error)", "frame.bytes": "\(frame.count)"])
                return
            }
            let actions = machine.received(decoded, now: .now, wallClockMilliseconds: Self.wallClockMilliseconds())
            if case .error(let error, let inReplyTo) = decoded {
                if error.code == .revoked {
                    remember(admitted: false)
                    logger.error("central revoked this gate's key; deciding offline until it is registered again")
                } else {
                    logger.warning(
                        "central refused a message",
                        metadata: ["error.code": "\(error.code.rawValue)", "error.message": "\(error.message)", "in_reply_to": "\(inReplyTo ?? "-")"])
                }
            }
            do { try perform(actions) } catch {
                machine.actionFailed(held: controller.permits.seq, problem: "could not apply '\(decoded.type)': \(error)", now: .now)
                logger.error("could not apply message from central", metadata: ["message.type": "\(decoded.type)", "error": "\(error)"])
            }
        }

        /// Carries out the machine's actions in order; the first failure stops the rest.
        mutating func perform(_ actions: [GateSyncStateMachine.Action]) throws {
            for action in actions {
                switch action {
                case .sendHello:
                    send(.hello(.init(
                        software: EdgeConfiguration.software, permitSeq: controller.permits.seq, gateID: client.gateID,
                        origin: controller.buffer.origin, signingKey: controller.buffer.signingPublicKey)))
                case .sendHeartbeat:
                    var health = controller.health()
                    let problems = [
                        machine.currentProblem(now: .now),
                        machine.signingKeyRefusal.map { "central refuses this gate's signing key: \($0)" },
                        DiagnosticsHandler.clockProblem(controller.clock),
                    ].compactMap { $0 }
                    if !problems.isEmpty { health.problems = problems.prefix(8).map { String($0.prefix(300)) } }
                    health.heartbeatSeconds = client.heartbeatInterval.withLock { $0 }
                    send(.heartbeat(health))
                case .send(let message):
                    send(message)
                case .uploadPending:
                    // The loop runs every 20 ms: ask SQLite only when there is something to send.
                    guard controller.buffer.count > 0 else { continue }
                    let batch = try controller.buffer.pending(limit: ProtocolVersion.maxEventsPerBatch)
                    if !batch.isEmpty, send(.events(batch, origin: controller.buffer.origin)) { machine.batchSent(batch.map(\.seq), now: .now) }
                case .adoptWelcome(let welcome):
                    logger.info(
                        "central welcomed gate",
                        metadata: [
                            "gate.id": "\(welcome.gate.id)", "central.head": "\(welcome.headSeq)",
                            "endpoint": "\(client.centrals[machine.endpoint].endpoint)",
                        ])
                    welcomed = true
                    if !admittedBefore || revokedBefore { remember(admitted: true) }
                    let holidays = HolidayCalendar(Set(welcome.holidays.compactMap(LocalDate.init)))
                    controller.permits.update(gate: welcome.gate, holidays: holidays)
                    try controller.buffer.setMeta("gate", String(decoding: try JSONEncoder().encode(welcome.gate), as: UTF8.self))
                    try controller.buffer.setMeta("holidays", welcome.holidays.joined(separator: "\n"))
                    if let seq = welcome.holidaysSeq { try controller.buffer.setMeta("holidays_seq", String(seq)) }
                    if let last = welcome.lastEventSeq, try controller.buffer.moveSequence(past: last) {
                        logger.notice(
                            "central holds later events of this database (restored backup?): numbering past them",
                            metadata: ["events.central_last": "\(last)"])
                    }
                case .applyChanges(let permits, let heldSeq):
                    try controller.permits.commit(changes: permits, heldSeq: heldSeq)
                    logger.debug("permit changes applied", metadata: ["permits.seq": "\(heldSeq)"])
                case .beginSnapshot:
                    logger.notice("fetching a permit snapshot", metadata: ["permits.held": "\(controller.permits.seq)"])
                    try controller.buffer.beginSnapshot()
                case .stageSnapshotPage(let permits):
                    try controller.buffer.stage(snapshotPage: permits)
                case .commitSnapshot(let baseSeq):
                    let installed = try controller.permits.commitSnapshot(baseSeq: baseSeq)
                    logger.info("permit snapshot installed", metadata: ["permits.count": "\(installed)", "permits.seq": "\(baseSeq)"])
                case .acknowledgeEvents(let seqs):
                    try controller.buffer.acknowledge(seqs)
                    lastAck = .now
                    evidenceIdleUntil = nil  // their images may go now
                case .uploadEvidence:
                    // Only when no event waits: evidence never delays a decision reaching central.
                    guard controller.buffer.count == 0, evidenceIdleUntil.map({ ContinuousClock.now >= $0 }) ?? true else { continue }
                    guard let image = try controller.buffer.pendingImages(limit: 1).first else {
                        evidenceIdleUntil = .now + .seconds(1)
                        continue
                    }
                    let key = EvidenceKey(origin: image.origin, seq: image.seq, role: image.role)
                    let offset = min(evidenceOffsets[key] ?? 0, image.bytes.count)
                    let end = min(offset + client.evidenceChunkBytes, image.bytes.count)
                    let chunk = EvidenceChunk(
                        origin: image.origin, seq: image.seq, role: image.role, sha256: image.sha256, totalBytes: image.bytes.count,
                        offset: offset, data: image.bytes.subdata(in: offset..<end))
                    if send(.evidence(chunk)) {
                        evidenceCurrent = key
                        machine.evidenceSent(now: .now)
                    }
                case .evidenceAnswered(let ack):
                    let key = EvidenceKey(origin: ack.origin, seq: ack.seq, role: ack.role)
                    if ack.complete {
                        try controller.buffer.deleteImage(origin: ack.origin, seq: ack.seq, role: ack.role)
                        evidenceOffsets[key] = nil
                        logger.debug("evidence image delivered", metadata: ["event.seq": "\(ack.seq)", "image.role": "\(ack.role)"])
                    } else if let error = ack.error {
                        // Central refused this copy (it does not match the signed event, or the event is unknown):
                        // sending it again cannot help. Counted in the buffer's meta, and said loudly.
                        try controller.buffer.deleteImage(origin: ack.origin, seq: ack.seq, role: ack.role, rejected: true)
                        evidenceOffsets[key] = nil
                        machine.noteProblem("central refused evidence image \(ack.role) of event \(ack.seq): \(error)", now: .now)
                        logger.error(
                            "central refused an evidence image; dropped",
                            metadata: ["event.seq": "\(ack.seq)", "image.role": "\(ack.role)", "error": "\(error)"])
                    } else {
                        evidenceOffsets[key] = ack.nextOffset
                    }
                    if evidenceCurrent == key { evidenceCurrent = nil }
                case .evidenceRefused(let reason):
                    guard let key = evidenceCurrent else { continue }
                    evidenceCurrent = nil
                    evidenceOffsets[key] = nil
                    try controller.buffer.deleteImage(origin: key.origin, seq: key.seq, role: key.role, rejected: true)
                    logger.error(
                        "central refused an evidence chunk as invalid; image dropped",
                        metadata: ["event.seq": "\(key.seq)", "image.role": "\(key.role)", "error": "\(reason)"])
                case .renewSocket:
                    socket.close()
                    monitor.close()
                    monitorCount += 1
                    (socket, monitor) = try client.makeSocket(
                        context, monitorAddress: SyncClient.monitorAddress(monitorCount), central: machine.endpoint)
                    logger.debug("sync socket renewed after silence")
                case .switchEndpoint(let index):
                    let from = client.centrals[(index + client.centrals.count - 1) % client.centrals.count].endpoint
                    socket.close()
                    monitor.close()
                    monitorCount += 1
                    // What the monitor said was about the old endpoint.
                    diagnosis = ConnectionDiagnosis()
                    evidenceCurrent = nil
                    (socket, monitor) = try client.makeSocket(context, monitorAddress: SyncClient.monitorAddress(monitorCount), central: index)
                    logger.warning(
                        "central does not answer: failing over to the next central endpoint",
                        metadata: [
                            "endpoint.from": "\(from)", "endpoint.to": "\(client.centrals[index].endpoint)",
                            "sync.failovers": "\(machine.failovers)", "events.unsent": "\(controller.buffer.count)",
                        ])
                }
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

        /// Shows the rest of the gate what the machine knows.
        func publish() {
            let now = ContinuousClock.now
            controller.clock.offsetMilliseconds = machine.clockOffsetMilliseconds
            client.linkState.withLock { link in
                link.connected = machine.isConnected(now: now)
                link.secondsSinceCentral = machine.lastHeard.map { Self.seconds(now - $0) }
                link.centralHeadSeq = machine.centralHeadSeq
                link.syncing = machine.isSyncing
                link.lastError = machine.currentProblem(now: now)
                link.signingKeyRefusal = machine.signingKeyRefusal
                link.secondsSinceAck = lastAck.map { Self.seconds(now - $0) }
                link.welcomed = welcomed
                link.diagnosis = link.connected ? nil : diagnosis.verdict
                link.endpointIndex = machine.endpoint
                link.endpoint = client.centrals[machine.endpoint].endpoint
                link.failovers = machine.failovers
            }
        }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }

        static func wallClockMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
    }
}
