import Domain
import WireProtocol

/// The gate's half of the sync protocol (docs/protocol.md §5) as a value:
/// messages from central and the passing of time go in, actions come out.
///
/// It owns no socket, no database and no clock. `SyncClient` feeds it what
/// arrives, carries out the actions it returns, and tells it how they went.
/// Every timer compares `ContinuousClock` instants, so a wall clock that NTP
/// steps back or forward never stops heartbeats, uploads or permit sync; the
/// wall clock enters only to measure how far the gate's clock is from central's.
public struct GateSyncStateMachine: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public struct Configuration: Sendable {
        /// Between heartbeats, and between hellos while central is silent.
        public var heartbeatInterval: Duration
        /// A permit request unanswered this long is sent again.
        public var requestTimeout: Duration = .seconds(10)
        /// An event batch unacknowledged this long is sent again.
        public var uploadTimeout: Duration = .seconds(5)
        /// Silence after which the socket is recreated (libzmq does not retry a refused handshake).
        public var renewSocketAfter: Duration = .seconds(10)
        /// Between evidence chunks (at most 256 KiB each): evidence never crowds out events.
        public var evidenceInterval: Duration = .milliseconds(50)
        /// An evidence chunk unanswered this long is sent again.
        public var evidenceTimeout: Duration = .seconds(10)
        /// After central could not take evidence (`unknown_type`, `unavailable`), wait this long.
        public var evidencePause: Duration = .seconds(60)
        /// With several central endpoints: silence from the one in use after which the gate moves
        /// to the next, even when the socket monitor saw nothing (a host that vanished drops packets).
        public var failoverAfter: Duration = .seconds(5)

        public init(heartbeatInterval: Duration) {
            self.heartbeatInterval = heartbeatInterval
        }

        /// Central counts as heard while it answered within three heartbeats (at least 1.5 s).
        var connectedWindow: Duration { max(heartbeatInterval * 3, .milliseconds(1500)) }
    }

    /// What the I/O loop must do, in order.
    public enum Action: Sendable, Hashable {
        /// Send `hello` (the loop fills in software, permit sequence and origin).
        case sendHello
        /// Send `heartbeat` with the gate's current health.
        case sendHeartbeat
        case send(GateMessage)
        /// Read the oldest pending events (if any), send them, then call `batchSent`.
        case uploadPending
        /// Adopt the registration and holiday calendar central sent.
        case adoptWelcome(CentralMessage.Welcome)
        /// Store consecutive changes and hold `heldSeq`, in one transaction.
        case applyChanges([Permit], heldSeq: Int64)
        /// Clear the snapshot staging area.
        case beginSnapshot
        case stageSnapshotPage([Permit])
        /// Replace the permit set with the staged one and hold `baseSeq`.
        case commitSnapshot(baseSeq: Int64)
        /// Delete events central has committed.
        case acknowledgeEvents([Int64])
        /// Close the socket and connect a new one.
        case renewSocket
        /// Central at the endpoint in use is gone: close the socket and connect to endpoint `index`
        /// (its own key); the session (permit sequence, unacknowledged events, evidence offsets) goes on there.
        case switchEndpoint(index: Int)
        /// If no event waits, send the next chunk of the oldest pending evidence image, then call `evidenceSent`.
        case uploadEvidence
        /// Central answered an evidence chunk: forget the image when complete
        /// or refused (`error`), else go on from `nextOffset`.
        case evidenceAnswered(EvidenceAck)
        /// Central refused the last evidence chunk as invalid: drop that image (counted), do not loop on it.
        case evidenceRefused(String)
    }

    /// Where permit sync stands.
    public enum PermitSync: Sendable, Hashable {
        case idle
        /// A `sync` was sent at `since`.
        case awaitingChanges(since: Instant)
        /// Pages are being fetched: `baseSeq` is the first page's, `nextAfter`
        /// the id the last requested page starts after (nil: the first page).
        case snapshot(baseSeq: Int64?, requestedAfter: String?, since: Instant)
    }

    /// `var` so a SIGHUP can change the heartbeat interval of a running gate.
    public internal(set) var configuration: Configuration
    /// The permit sequence the gate holds (as far as the actions it returned have been carried out).
    public private(set) var held: Int64
    public private(set) var permitSync = PermitSync.idle
    public private(set) var lastHeard: Instant?
    public private(set) var centralHeadSeq: Int64?
    /// Central's clock minus the gate's, measured at the last answer carrying central's time
    /// (whether that is too far is `ClockCheck`'s rule).
    public private(set) var clockOffsetMilliseconds: Int64?
    /// Set when central refused this gate's key; cleared by any other answer.
    public private(set) var revokedMessage: String?
    /// The last thing that went wrong on the link, and when.
    private var problem: (text: String, at: Instant)?
    /// Central's refusal of the signing key this gate announced (`signing_key_mismatch`),
    /// kept until a welcome shows the key accepted: its events are flagged until then.
    public private(set) var signingKeyRefusal: String?
    /// The holiday calendar sequence the gate holds.
    public private(set) var holidaysSeq: Int64?

    private var socketCreated: Instant
    private var lastHello: Instant?
    private var lastHeartbeat: Instant?
    private var inflight: Set<Int64> = []
    private var inflightSentAt: Instant?
    private var evidenceSentAt: Instant?
    private var evidenceInFlight = false
    /// Central cannot take evidence now (a revision-3 central, or it is busy): try again after this.
    private var evidencePausedUntil: Instant?

    /// How many central endpoints the gate may use (1: no failover, the socket is only renewed).
    public let endpointCount: Int
    /// The endpoint in use (an index into the configured list).
    public private(set) var endpoint = 0
    /// Moves to another endpoint since start.
    public private(set) var failovers = 0
    /// When the gate started using `endpoint`: silence is counted from here or the last answer, whichever is later.
    private var endpointSince: Instant
    /// The socket monitor says the transport to the endpoint in use is down (closed, refused, handshake failed).
    private var transportDown = false
    /// No handshake since the socket was made or the transport went down: a hello then went nowhere.
    private var awaitingHandshake = true

    public init(configuration: Configuration, held: Int64, holidaysSeq: Int64? = nil, endpointCount: Int = 1, now: Instant) {
        self.configuration = configuration
        self.held = held
        self.holidaysSeq = holidaysSeq
        self.endpointCount = max(1, endpointCount)
        socketCreated = now
        endpointSince = now
    }

    // MARK: Queries

    public func isConnected(now: Instant) -> Bool {
        guard let lastHeard else { return false }
        return now - lastHeard < configuration.connectedWindow
    }

    public var isSyncing: Bool { permitSync != .idle }

    /// What last went wrong on the link, if within the last minute (a fault
    /// that persists recurs with every retry, so it stays visible).
    public func currentProblem(now: Instant) -> String? {
        guard let problem, now - problem.at < .seconds(60) else { return nil }
        return problem.text
    }

    /// Records a fault the I/O loop met, for the technician and central.
    public mutating func noteProblem(_ text: String, now: Instant) {
        problem = (text, now)
    }

    private mutating func note(_ text: String, _ now: Instant) {
        problem = (text, now)
    }



    // MARK: Time

    /// What is due at `now`: hello while central is silent, heartbeat, socket
    /// renewal after long silence, retries of requests and uploads.
    public mutating func tick(now: Instant) -> [Action] {
        var actions: [Action] = []
        let connected = isConnected(now: now)
        if let next = failoverDue(now: now) {
            actions.append(.switchEndpoint(index: next))
            switchedEndpoint(to: next, now: now)
        } else if endpointCount == 1, !connected, now - socketCreated > configuration.renewSocketAfter,
            lastHeard.map({ $0 < socketCreated || now - $0 >= configuration.renewSocketAfter }) ?? true
        {
            actions.append(.renewSocket)
            socketRenewed(now: now)
        }
        if !connected, lastHello.map({ now - $0 >= configuration.heartbeatInterval }) ?? true {
            lastHello = now
            // Whatever was in flight went with the old connection: resend it once connected.
            inflight.removeAll()
            inflightSentAt = nil
            actions.append(.sendHello)
        }
        if lastHeartbeat.map({ now - $0 >= configuration.heartbeatInterval }) ?? true {
            lastHeartbeat = now
            actions.append(.sendHeartbeat)
        }
        switch permitSync {
        case .awaitingChanges(let since) where now - since > configuration.requestTimeout:
            if connected { actions.append(requestChanges(now: now)) } else { permitSync = .idle }
        case .snapshot(let base, let after, let since) where now - since > configuration.requestTimeout:
            // Resume where the answer was lost: the pages already staged stay.
            if connected {
                permitSync = .snapshot(baseSeq: base, requestedAfter: after, since: now)
                actions.append(.send(.snapshot(afterID: after)))
            }
        default: break
        }
        if connected, inflight.isEmpty || inflightSentAt.map({ now - $0 > configuration.uploadTimeout }) ?? true {
            actions.append(.uploadPending)
        }
        // Evidence goes between event batches only, one chunk at a time, paced.
        let evidenceWait = evidenceInFlight ? configuration.evidenceTimeout : configuration.evidenceInterval
        if connected, inflight.isEmpty, evidenceSentAt.map({ now - $0 >= evidenceWait }) ?? true,
            evidencePausedUntil.map({ now >= $0 }) ?? true
        {
            actions.append(.uploadEvidence)
        }
        return actions
    }

    // MARK: Failover

    /// The endpoint to move to, when central at the one in use counts as gone: it has not
    /// answered within the connected window and the socket monitor says the transport is down
    /// (the process died, the port refuses), or it has not answered for `failoverAfter` whatever
    /// the monitor says. Silence is counted from the later of its last answer and the move to
    /// it, so each endpoint gets its full chance and a gate never flaps between two that answer:
    /// it stays wherever central answers. Round-robin, so it comes back to the first in turn.
    public func failoverDue(now: Instant) -> Int? {
        guard endpointCount > 1, !isConnected(now: now) else { return nil }
        let silentSince = max(lastHeard ?? endpointSince, endpointSince)
        let silence = now - silentSince
        guard silence >= configuration.failoverAfter || (transportDown && silence >= configuration.connectedWindow) else { return nil }
        return (endpoint + 1) % endpointCount
    }

    /// What the socket monitor saw: the transport to central is up (handshake done) or down
    /// (disconnected, refused, handshake failed).
    public mutating func transport(up: Bool) {
        // A hello sent before the handshake finished was not queued (ZMQ_IMMEDIATE): send it now.
        if up, awaitingHandshake { lastHello = nil }
        // libzmq reconnected on its own (a dropped TCP connection): central sees a new routing
        // id and cannot push to this gate until it speaks. Speak at once rather than at the next
        // heartbeat, which may be a minute away; the ack also shows any change missed meanwhile.
        if up, transportDown { lastHeartbeat = nil }
        awaitingHandshake = !up
        transportDown = !up
    }

    /// The session moves to `index`: everything in flight goes again there, after a hello.
    private mutating func switchedEndpoint(to index: Int, now: Instant) {
        endpoint = index
        endpointSince = now
        failovers += 1
        transportDown = false
        // Say hello at once rather than a heartbeat later.
        lastHello = nil
        socketRenewed(now: now)
        switch permitSync {
        case .idle: break
        case .awaitingChanges:
            // The welcome asks again if the new central is ahead.
            permitSync = .idle
        case .snapshot(let base, let after, _):
            // Resume at the page whose answer was lost, as soon as the new central answers.
            permitSync = .snapshot(baseSeq: base, requestedAfter: after, since: now - configuration.requestTimeout - .milliseconds(1))
        }
    }

    /// The loop sent an evidence chunk.
    public mutating func evidenceSent(now: Instant) {
        evidenceSentAt = now
        evidenceInFlight = true
    }

    /// The loop sent an event batch (an empty one when nothing was pending).
    public mutating func batchSent(_ seqs: [Int64], now: Instant) {
        guard !seqs.isEmpty else { return }
        inflight = Set(seqs)
        inflightSentAt = now
    }

    /// The loop replaced its socket.
    public mutating func socketRenewed(now: Instant) {
        socketCreated = now
        awaitingHandshake = true
        inflight.removeAll()
        inflightSentAt = nil
        evidenceInFlight = false
        evidenceSentAt = nil
    }

    /// An action failed (the database refused): start permit sync over from what is really held.
    public mutating func actionFailed(held actual: Int64, problem: String, now: Instant) {
        held = actual
        permitSync = .idle
        note(problem, now)
    }

    /// A frame from central could not be decoded (too large, malformed): the gate cannot take it.
    public mutating func undecodable(_ problem: String, now: Instant) {
        note("could not take a message from central: \(problem)", now)
    }

    // MARK: Messages

    /// Central's message at `now`; `wallClockMilliseconds` is the gate's wall clock then.
    public mutating func received(_ message: CentralMessage, now: Instant, wallClockMilliseconds: Int64) -> [Action] {
        if case .error(let error, _) = message, error.code == .revoked {
            // Central answers, but only to say no: that is not a connection in any useful sense.
            lastHeard = nil
            revokedMessage = error.message
            note("central revoked this gate's key: \(error.message)", now)
            permitSync = .idle
            inflight.removeAll()
            return []
        }
        lastHeard = now
        revokedMessage = nil
        switch message {
        case .welcome(let welcome):
            signingKeyRefusal = nil
            noteHead(welcome.headSeq)
            noteCentralClock(welcome.serverTimeMilliseconds, wallClockMilliseconds)
            holidaysSeq = welcome.holidaysSeq ?? holidaysSeq
            var actions: [Action] = [.adoptWelcome(welcome)]
            if welcome.headSeq != held, permitSync == .idle { actions.append(requestChanges(now: now)) }
            return actions
        case .changes(let changes):
            noteHead(changes.headSeq)
            return apply(changes, now: now)
        case .snapshotRequired(let head):
            noteHead(head)
            return startSnapshot(now: now)
        case .snapshotPage(let page):
            guard case .snapshot(let base, _, _) = permitSync else { return [] }
            let baseSeq = base ?? page.baseSeq
            var actions: [Action] = [.stageSnapshotPage(page.permits)]
            if let next = page.nextAfter {
                permitSync = .snapshot(baseSeq: baseSeq, requestedAfter: next, since: now)
                actions.append(.send(.snapshot(afterID: next)))
            } else {
                held = baseSeq
                actions.append(.commitSnapshot(baseSeq: baseSeq))
                // Changes made while the pages were read come with this sync (§5.2 rule 4).
                actions.append(requestChanges(now: now))
            }
            return actions
        case .ack(let seqs):
            inflight.subtract(seqs)
            var actions: [Action] = [.acknowledgeEvents(seqs)]
            if inflight.isEmpty {
                inflightSentAt = nil
                actions.append(.uploadPending)
            }
            return actions
        case .heartbeatAck(let head, let serverTime, let holidays):
            noteHead(head)
            noteCentralClock(serverTime, wallClockMilliseconds)
            var actions: [Action] = []
            if let holidays, holidays != holidaysSeq {
                // The calendar changed: a hello brings it with the next welcome.
                actions.append(.sendHello)
            }
            switch permitSync {
            case .idle:
                if head > held {
                    actions.append(requestChanges(now: now))
                } else if head < held {
                    // Central's history is behind ours (restored from a backup): take its state.
                    note("central's permit sequence \(head) is behind this gate's \(held): fetching a snapshot", now)
                    actions += startSnapshot(now: now)
                }
            case .awaitingChanges(let since) where head > held && now - since >= configuration.heartbeatInterval:
                // A push or an answer went missing: ask again rather than wait for the timeout.
                actions.append(requestChanges(now: now))
            default: break
            }
            return actions
        case .evidenceAck(let ack):
            evidenceInFlight = false
            return [.evidenceAnswered(ack)]
        case .error(let error, let inReplyTo):
            note("central refused '\(inReplyTo ?? "?")': \(error.code.rawValue): \(error.message)", now)
            if error.code == .signingKeyMismatch { signingKeyRefusal = error.message }
            if inReplyTo == "evidence", evidenceInFlight {
                evidenceInFlight = false
                switch error.code {
                case .invalid, .malformed, .tooLarge:
                    // This chunk can never be taken: drop its image rather than send it forever.
                    return [.evidenceRefused("\(error.code.rawValue): \(error.message)")]
                default:
                    // Central does not speak revision 4, or cannot store now: keep the images, try later.
                    evidencePausedUntil = now + configuration.evidencePause
                    return []
                }
            }
            return []
        }
    }

    // MARK: Permit sync

    private mutating func apply(_ changes: CentralMessage.Changes, now: Instant) -> [Action] {
        // During a snapshot the set is being replaced; the sync after it brings these again.
        if case .snapshot = permitSync { return [] }
        var actions: [Action] = []
        let fresh = changes.permits.filter { $0.seq > held }
        if let first = fresh.first {
            let consecutive = zip(fresh, fresh.dropFirst()).allSatisfy { $1.seq == $0.seq + 1 }
            guard first.seq == held + 1, consecutive else {
                // A gap: a push was missed. Ask for everything after what we hold.
                return [requestChanges(now: now)]
            }
            held = fresh[fresh.count - 1].seq
            actions.append(.applyChanges(fresh, heldSeq: held))
        }
        if changes.headSeq > held {
            actions.append(requestChanges(now: now))
        } else {
            permitSync = .idle
        }
        return actions
    }

    private mutating func startSnapshot(now: Instant) -> [Action] {
        permitSync = .snapshot(baseSeq: nil, requestedAfter: nil, since: now)
        return [.beginSnapshot, .send(.snapshot(afterID: nil))]
    }

    private mutating func requestChanges(now: Instant) -> Action {
        permitSync = .awaitingChanges(since: now)
        return .send(.sync(fromSeq: held))
    }

    private mutating func noteHead(_ head: Int64) {
        centralHeadSeq = head
    }

    private mutating func noteCentralClock(_ serverMilliseconds: Int64, _ wallClockMilliseconds: Int64) {
        clockOffsetMilliseconds = serverMilliseconds &- wallClockMilliseconds
    }
}
