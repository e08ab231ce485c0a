// Simulated gates for `bollard-bench scale` (issue 13): many lightweight in-process clients,
// each a real gate as far as central can tell (its own registered CURVE key, the real wire
// protocol, sealed events), driven a few threads at a time with zmq_poll.
import Domain
import EdgeCore
import Evidence
import Foundation
import Synchronization
import WireProtocol
import ZMQ

/// Who one simulated gate is and where it connects.
struct SimulatedGateSpec: Sendable {
    var id: String
    var keys: CurveKeyPair
    /// Its Ed25519 key: announced in `hello` (central pins it) and used to seal every event (§3.6).
    var signing: SigningKey
    /// Central endpoints in the order the gate tries them (one key: instances sharing a folder share it).
    var endpoints: [String]
    var centralPublicKey: String
    /// The identity of its (in-memory) event database (§3.3).
    var origin: String
    /// Seal events (as every real gate does) or send them unsigned (allowed: stored as `unsigned`).
    var sealed: Bool
    /// Events numbered, sealed and encoded before the gate connects, sent when the bench says so.
    var backlog: Int
}

/// What one gate's thread shows the bench; read under the cell's lock.
struct GateBoard: Sendable {
    var welcomed = false
    var connected = false
    /// Index into the spec's endpoints of the central in use.
    var endpoint = 0
    var failovers = 0
    /// When the gate last moved to another endpoint, and its first acknowledgement since then (or since start).
    var switchedAt: ContinuousClock.Instant?
    var firstAckSinceSwitch: ContinuousClock.Instant?
    /// The permit sequence held, and when each sequence was first held.
    var held: Int64 = 0
    var heldAt: [Int64: ContinuousClock.Instant] = [:]
    /// Events numbered so far (the last seq), acknowledged, not yet acknowledged, and backlog not yet released.
    var numbered: Int64 = 0
    var acked = 0
    var unacked = 0
    var backlogWaiting = 0
    /// `error` replies and undecodable frames from central, and the last of them.
    var errors = 0
    var lastError: String?
    /// Event batches sent again because no ack came within the upload timeout (5 s), or after a reconnect.
    var resentBatches = 0
}

final class GateBoardCell: Sendable {
    let state = Mutex(GateBoard())
}

/// One simulated gate, owned by one driver thread: the real gate's sync state machine
/// (`GateSyncStateMachine`, so hellos, heartbeats, one batch of ≤ 256 events in flight,
/// resends, permit sync and the failover rule of docs/protocol.md §5.1 rule 6 are the real
/// gate's), carried out against a DEALER socket, with the events kept in memory instead of
/// SQLite: the bench measures central, not a gate's disk.
final class SimulatedGate {
    static let software = "bollard-bench-gate/1"
    let spec: SimulatedGateSpec
    let board: GateBoardCell
    let context: ZMQContext
    /// Unique within the fleet: names the socket monitors' inproc addresses.
    let number: Int
    var socket: ZMQSocket?
    var monitor: ZMQSocket?
    var socketsMade = 0
    var machine: GateSyncStateMachine
    let started = ContinuousClock.now

    var nextSeq: Int64 = 1
    var lastHash = EventSeal.genesis
    /// Unacknowledged events in seq order, from `pendingHead` on.
    var pending: [Event] = []
    var pendingHead = 0
    /// Pre-encoded `events` frames by first seq, with the last seq they hold.
    var frames: [Int64: (last: Int64, frame: [UInt8])] = [:]
    var backlog: [Event] = []
    var nextSteadyEvent: ContinuousClock.Instant?

    // Published to the board once per loop.
    var held: Int64 = 0
    var heldAt: [(Int64, ContinuousClock.Instant)] = []
    var acked = 0
    var welcomed = false
    var switchedAt: ContinuousClock.Instant?
    var firstAckSinceSwitch: ContinuousClock.Instant?
    var errors = 0
    var lastError: String?
    /// The highest first seq of a batch sent so far: a batch starting at or below it is a resend.
    var highestBatchSent: Int64 = 0
    var resentBatches = 0

    init(spec: SimulatedGateSpec, board: GateBoardCell, context: ZMQContext, number: Int) throws {
        self.spec = spec
        self.board = board
        self.context = context
        self.number = number
        machine = GateSyncStateMachine(
            configuration: .init(heartbeatInterval: .seconds(1)), held: 0, endpointCount: spec.endpoints.count, now: .now)
        let now = Self.wallClockMilliseconds()
        backlog = try (0..<spec.backlog).map { _ in try numberEvent(at: now) }
        // The backlog goes out in batches of 256 from its first event: encode them now, off the clock.
        for start in stride(from: 0, to: backlog.count, by: ProtocolVersion.maxEventsPerBatch) {
            let batch = Array(backlog[start..<min(start + ProtocolVersion.maxEventsPerBatch, backlog.count)])
            frames[batch[0].seq] = (batch[batch.count - 1].seq, WireCodec.encode(GateMessage.events(batch, origin: spec.origin)))
        }
    }

    var unacked: Int { pending.count - pendingHead }

    /// Numbers, seals and chains the gate's next event, as a real gate does when it commits one.
    func numberEvent(at milliseconds: Int64) throws -> Event {
        let seq = nextSeq
        nextSeq += 1
        let violation = seq % 10 == 0
        let event = Event(
            seq: seq, atMilliseconds: milliseconds, kind: violation ? .violation : .authorised, plate: DemoFleet.plate(number * 100_000 + Int(seq % 100_000)),
            confidence: 0.97, permitID: "P1", reason: violation ? "expired" : nil, source: "camera")
        guard spec.sealed else { return event }
        let sealed = try EventSeal.seal(event, origin: spec.origin, previous: lastHash, key: spec.signing.privateKey)
        lastHash = EventSeal.hash(of: sealed, origin: spec.origin)
        return sealed
    }

    /// Connects to the endpoint the state machine uses, with a real gate's socket options.
    func connect() throws {
        // Closed and forgotten first: should the new socket fail, the loop polls none rather than a closed one.
        close()
        socketsMade += 1
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.makeCurveClient(serverPublicKey: spec.centralPublicKey, publicKey: spec.keys.publicKey, secretKey: spec.keys.secretKey)
        try SyncClient.applyGateSocketOptions(socket)  // the real gate's, so the bench measures what gates see
        let monitor = try socket.monitor(
            address: "inproc://scale-monitor-\(number)-\(socketsMade)",
            events: [.connected, .connectRetried, .disconnected, .handshakeSucceeded, .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth])
        try socket.connect(spec.endpoints[machine.endpoint])
        self.socket = socket
        self.monitor = monitor
    }

    func close() {
        socket?.close()
        monitor?.close()
        socket = nil
        monitor = nil
    }

    /// The backlog joins the unacknowledged events (in seq order: nothing else was numbered after it).
    func releaseBacklog() {
        guard !backlog.isEmpty else { return }
        pending.append(contentsOf: backlog)
        backlog = []
    }

    /// One turn: what central sent, what the socket monitor saw, what is due, a steady event if one is due.
    func service(steadyInterval: Duration?) {
        do {
            if let interval = steadyInterval {
                let now = ContinuousClock.now
                if nextSteadyEvent == nil || now - nextSteadyEvent! > .seconds(1) {
                    // A random phase, so that the gates do not all read a plate at the same instant.
                    nextSteadyEvent = now + .milliseconds(Int64.random(in: 0..<max(1, Int64(Self.seconds(interval) * 1000))))
                }
                while let due = nextSteadyEvent, due <= now {
                    releaseBacklog()
                    pending.append(try numberEvent(at: Self.wallClockMilliseconds()))
                    nextSteadyEvent = due + interval
                }
            } else {
                nextSteadyEvent = nil
            }
            var taken = 0
            while taken < 16, let message = try socket?.receive(dontWait: true) {
                taken += 1
                try handle(message)
            }
            while let event = try monitor?.receiveMonitorEvent(dontWait: true) {
                switch event.kind {
                case .handshakeSucceeded: machine.transport(up: true)
                case .disconnected, .connectRetried, .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth:
                    machine.transport(up: false)
                default: break
                }
            }
            try perform(machine.tick(now: .now))
        } catch {
            errors += 1
            lastError = "\(error)"
        }
        publish()
    }

    func handle(_ message: ZMQMessage) throws {
        guard let frame = message.frames.last else { return }
        let decoded: CentralMessage
        do { decoded = try WireCodec.decodeCentralMessage(frame) } catch {
            machine.undecodable("\(error)", now: .now)
            errors += 1
            lastError = "undecodable: \(error)"
            return
        }
        if case .error(let error, let inReplyTo) = decoded {
            errors += 1
            lastError = "\(error.code.rawValue) in reply to \(inReplyTo ?? "?"): \(error.message)"
        }
        try perform(machine.received(decoded, now: .now, wallClockMilliseconds: Self.wallClockMilliseconds()))
    }

    func perform(_ actions: [GateSyncStateMachine.Action]) throws {
        for action in actions {
            switch action {
            case .sendHello:
                send(GateMessage.hello(.init(
                    software: Self.software, permitSeq: held, gateID: spec.id, origin: spec.origin,
                    signingKey: spec.sealed ? spec.signing.publicKeyBase64 : nil)))
            case .sendHeartbeat:
                let wall = Self.wallClockMilliseconds()
                let oldest = pendingHead < pending.count ? max(0, Double(wall - pending[pendingHead].atMilliseconds) / 1000) : 0
                var health = GateHealth(
                    permitSeq: held, bufferDepth: unacked, bufferCapacity: 100_000, oldestUnsentSeconds: oldest, droppedAuthorised: 0,
                    lastFrameMilliseconds: nil, recognitionRate: 0, diskFreeBytes: -1, clockMilliseconds: wall,
                    uptimeSeconds: Self.seconds(.now - started), software: Self.software, dropped: .init())
                health.heartbeatSeconds = 1
                send(GateMessage.heartbeat(health))
            case .send(let message):
                send(message)
            case .uploadPending:
                guard pendingHead < pending.count else { continue }
                let end = min(pending.count, pendingHead + ProtocolVersion.maxEventsPerBatch)
                let first = pending[pendingHead].seq, last = pending[end - 1].seq
                let frame: [UInt8]
                if let cached = frames[first], cached.last == last {
                    frame = cached.frame
                } else {
                    frame = WireCodec.encode(GateMessage.events(Array(pending[pendingHead..<end]), origin: spec.origin))
                }
                if send(frame) {
                    machine.batchSent(pending[pendingHead..<end].map(\.seq), now: .now)
                    if first <= highestBatchSent { resentBatches += 1 }
                    highestBatchSent = max(highestBatchSent, first)
                }
            case .adoptWelcome(let welcome):
                welcomed = true
                // As a real gate: never number an event central already holds for this origin (§5.3 rule 7).
                if let last = welcome.lastEventSeq, last >= nextSeq { nextSeq = last + 1 }
            case .applyChanges(_, let heldSeq):
                hold(heldSeq)
            case .beginSnapshot, .stageSnapshotPage:
                break
            case .commitSnapshot(let baseSeq):
                hold(baseSeq)
            case .acknowledgeEvents(let seqs):
                let acknowledged = Set(seqs)
                var removed = 0
                while pendingHead < pending.count, acknowledged.contains(pending[pendingHead].seq) {
                    frames[pending[pendingHead].seq] = nil
                    pendingHead += 1
                    removed += 1
                }
                if pendingHead > 4_096, pendingHead * 2 > pending.count {
                    pending.removeFirst(pendingHead)
                    pendingHead = 0
                }
                acked += removed
                if removed > 0, firstAckSinceSwitch == nil { firstAckSinceSwitch = .now }
            case .renewSocket:
                try connect()
            case .switchEndpoint:
                // The machine already moved to the next endpoint: connect there; the session carries over.
                try connect()
                switchedAt = .now
                firstAckSinceSwitch = nil
            case .uploadEvidence, .evidenceAnswered, .evidenceRefused:
                // Simulated gates keep no evidence images.
                break
            }
        }
    }

    /// The gate now holds every permit sequence up to `seq`.
    func hold(_ seq: Int64) {
        let now = ContinuousClock.now
        if seq > held, seq - held <= 10_000 {
            for each in (held + 1)...seq { heldAt.append((each, now)) }
        }
        held = seq
    }

    @discardableResult
    func send(_ message: GateMessage) -> Bool { send(WireCodec.encode(message)) }

    @discardableResult
    func send(_ frame: [UInt8]) -> Bool {
        do { return try socket?.send([frame], dontWait: true) ?? false } catch {
            errors += 1
            lastError = "send: \(error)"
            return false
        }
    }

    func publish() {
        let now = ContinuousClock.now
        board.state.withLock { board in
            board.welcomed = welcomed
            board.connected = machine.isConnected(now: now)
            board.endpoint = machine.endpoint
            board.failovers = machine.failovers
            board.switchedAt = switchedAt
            board.firstAckSinceSwitch = firstAckSinceSwitch
            board.held = held
            for (seq, at) in heldAt where board.heldAt[seq] == nil { board.heldAt[seq] = at }
            board.numbered = nextSeq - 1
            board.acked = acked
            board.unacked = unacked
            board.backlogWaiting = backlog.count
            board.errors = errors
            board.lastError = lastError
            board.resentBatches = resentBatches
        }
        heldAt.removeAll(keepingCapacity: true)
    }

    static func wallClockMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Many simulated gates on a few threads (one ZeroMQ context each, so CURVE work spreads over
/// their I/O threads), each thread polling its gates' sockets with zmq_poll.
final class GateFleet: Sendable {
    struct Orders: Sendable {
        var releaseBacklog = false
        /// Each gate reads one plate this often (nil: none).
        var steadyInterval: Duration?
        var stop = false
    }

    let specs: [SimulatedGateSpec]
    let boards: [GateBoardCell]
    let orders = Mutex(Orders())
    let running = Atomic<Int>(0)
    /// A driver thread that could not set up its gates says why here.
    let failure = Mutex<String?>(nil)

    init(specs: [SimulatedGateSpec], threads: Int) {
        self.specs = specs
        boards = specs.map { _ in GateBoardCell() }
        let threadCount = max(1, min(threads, specs.count))
        for thread in 0..<threadCount {
            let mine = Array(stride(from: thread, to: specs.count, by: threadCount))
            running.add(1, ordering: .sequentiallyConsistent)
            let worker = Thread { [self] in
                drive(mine)
                running.subtract(1, ordering: .sequentiallyConsistent)
            }
            worker.name = "scale-gates-\(thread)"
            worker.start()
        }
    }

    private func drive(_ numbers: [Int]) {
        do {
            // A context per 50 gates: each gate holds three ZeroMQ sockets (its DEALER and both ends of its
            // monitor), more after a move, and a context refuses its 1,024th socket (EMFILE).
            var contexts: [ZMQContext] = []
            let gates = try numbers.enumerated().map { offset, number in
                if offset % 50 == 0 { contexts.append(try ZMQContext()) }
                return try SimulatedGate(spec: specs[number], board: boards[number], context: contexts[contexts.count - 1], number: number)
            }
            for gate in gates { try gate.connect() }
            while true {
                let orders = self.orders.withLock { $0 }
                if orders.stop { break }
                if orders.releaseBacklog { for gate in gates { gate.releaseBacklog() } }
                _ = try ZMQPoller.poll(gates.compactMap(\.socket), timeoutMilliseconds: 5)
                for gate in gates { gate.service(steadyInterval: orders.steadyInterval) }
            }
            for gate in gates { gate.close() }
        } catch {
            failure.withLock { $0 = "\(error)" }
        }
    }

    func update(_ change: (inout Orders) -> Void) { orders.withLock { change(&$0) } }

    /// Every gate's board, copied.
    func snapshot() -> [GateBoard] { boards.map { $0.state.withLock { $0 } } }

    /// Stops the threads and waits (bounded) for them to close their sockets.
    func stop() {
        update { $0.stop = true }
        let deadline = Date().addingTimeInterval(10)
        while running.load(ordering: .sequentiallyConsistent) > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}
