import Domain
import EdgeCore
import Foundation
import Testing
import WireProtocol

/// The gate's sync protocol without a socket: messages and instants in, actions out.
@Suite struct GateSyncStateMachineTests {
    typealias Machine = GateSyncStateMachine
    let start = ContinuousClock.now
    let wall: Int64 = 1_764_157_200_000

    func machine(held: Int64 = 0) -> Machine {
        Machine(configuration: .init(heartbeatInterval: .seconds(1)), held: held, now: start)
    }

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    static func permit(_ id: String, seq: Int64) -> Permit {
        Permit(
            id: id, plate: PlateText("1234BCD")!, profile: .resident, zones: ["casco-viejo"],
            validFrom: Date(timeIntervalSince1970: 0), seq: seq)
    }

    static func changes(_ seqs: ClosedRange<Int64>, head: Int64? = nil) -> CentralMessage {
        .changes(.init(permits: seqs.map { permit("P\($0)", seq: $0) }, headSeq: head ?? seqs.upperBound))
    }

    static let gate = Gate(id: "g1", zone: "casco-viejo", direction: .entry)

    /// A machine that has heard central at `time` (a heartbeat ack at head `head`).
    func connected(held: Int64 = 0, head: Int64? = nil, at time: Double = 0) -> Machine {
        var m = machine(held: held)
        _ = m.received(.heartbeatAck(headSeq: head ?? held, serverTimeMilliseconds: wall), now: at(time), wallClockMilliseconds: wall)
        return m
    }

    func sends(_ actions: [Machine.Action]) -> [GateMessage] {
        actions.compactMap { if case .send(let message) = $0 { message } else { nil } }
    }

    @Test("consecutive pushed changes are applied and move the held sequence")
    func appliesConsecutiveChanges() {
        var m = connected(held: 3)
        let actions = m.received(Self.changes(4...6), now: at(0.1), wallClockMilliseconds: wall)
        #expect(actions == [.applyChanges((4...6).map { Self.permit("P\($0)", seq: $0) }, heldSeq: 6)])
        #expect(m.held == 6)
        #expect(!m.isSyncing)
    }

    @Test("a gap in pushed sequences applies nothing and asks for everything after what is held")
    func gapResyncs() {
        var m = connected(held: 3)
        let actions = m.received(Self.changes(5...6), now: at(0.1), wallClockMilliseconds: wall)
        #expect(actions == [.send(.sync(fromSeq: 3))])
        #expect(m.held == 3)
        #expect(m.isSyncing)
    }

    @Test("changes already held are ignored, the rest applied")
    func overlappingChanges() {
        var m = connected(held: 5)
        let actions = m.received(Self.changes(3...7), now: at(0.1), wallClockMilliseconds: wall)
        #expect(actions == [.applyChanges([Self.permit("P6", seq: 6), Self.permit("P7", seq: 7)], heldSeq: 7)])
    }

    @Test("a gate that missed a push catches up at the next heartbeat ack, even while a sync is outstanding")
    func missedPushCaughtUpWithinAHeartbeat() {
        var m = connected(held: 3)
        // Idle: the heartbeat ack showing a newer head starts a sync.
        var actions = m.received(.heartbeatAck(headSeq: 4, serverTimeMilliseconds: wall), now: at(1), wallClockMilliseconds: wall)
        #expect(sends(actions) == [.sync(fromSeq: 3)])
        // Its answer is lost; one heartbeat later central still says 4: ask again, not after 10 s.
        actions = m.received(.heartbeatAck(headSeq: 4, serverTimeMilliseconds: wall), now: at(2.1), wallClockMilliseconds: wall)
        #expect(sends(actions) == [.sync(fromSeq: 3)])
    }

    @Test("a heartbeat ack behind the held sequence (central restored from a backup) fetches a snapshot")
    func centralBehindFetchesSnapshot() {
        var m = connected(held: 10)
        let actions = m.received(.heartbeatAck(headSeq: 4, serverTimeMilliseconds: wall), now: at(1), wallClockMilliseconds: wall)
        #expect(actions == [.beginSnapshot, .send(.snapshot(afterID: nil))])
    }

    @Test("a paged snapshot stages each page, commits at the first page's base, then syncs from it")
    func pagedSnapshot() {
        var m = connected(held: 0)
        var actions = m.received(.snapshotRequired(headSeq: 50), now: at(0.1), wallClockMilliseconds: wall)
        #expect(actions == [.beginSnapshot, .send(.snapshot(afterID: nil))])
        let page1 = [Self.permit("A", seq: 10)]
        actions = m.received(.snapshotPage(.init(baseSeq: 50, permits: page1, nextAfter: "A")), now: at(0.2), wallClockMilliseconds: wall)
        #expect(actions == [.stageSnapshotPage(page1), .send(.snapshot(afterID: "A"))])
        let page2 = [Self.permit("B", seq: 52)]
        actions = m.received(.snapshotPage(.init(baseSeq: 52, permits: page2, nextAfter: nil)), now: at(0.3), wallClockMilliseconds: wall)
        #expect(actions == [.stageSnapshotPage(page2), .commitSnapshot(baseSeq: 50), .send(.sync(fromSeq: 50))])
        #expect(m.held == 50)
    }

    @Test("a snapshot interrupted mid-page resumes at the page whose answer was lost, keeping staged pages")
    func snapshotResumesAfterLostPage() {
        var m = connected(held: 0)
        _ = m.received(.snapshotRequired(headSeq: 50), now: at(0.1), wallClockMilliseconds: wall)
        _ = m.received(
            .snapshotPage(.init(baseSeq: 50, permits: [Self.permit("A", seq: 10)], nextAfter: "A")), now: at(0.2),
            wallClockMilliseconds: wall)
        // The page after "A" never comes. Central keeps answering heartbeats.
        for second in stride(from: 1.0, through: 10.0, by: 1) {
            _ = m.received(.heartbeatAck(headSeq: 50, serverTimeMilliseconds: wall), now: at(second), wallClockMilliseconds: wall)
        }
        let actions = m.tick(now: at(10.5))
        #expect(sends(actions).contains(.snapshot(afterID: "A")))
        #expect(!actions.contains(.beginSnapshot), "staged pages must not be thrown away")
        // Pushed changes are ignored while the set is being replaced.
        #expect(m.received(Self.changes(51...51), now: at(10.6), wallClockMilliseconds: wall).isEmpty)
    }

    @Test("revocation during a snapshot stops it, and the gate no longer counts as connected")
    func revocationDuringSnapshot() {
        var m = connected(held: 0)
        _ = m.received(.snapshotRequired(headSeq: 50), now: at(0.1), wallClockMilliseconds: wall)
        let actions = m.received(.error(WireError(.revoked, "this gate's key has been revoked"), inReplyTo: "snapshot"), now: at(0.2), wallClockMilliseconds: wall)
        #expect(actions.isEmpty)
        #expect(!m.isSyncing)
        #expect(!m.isConnected(now: at(0.2)))
        #expect(m.revokedMessage != nil)
        #expect(m.currentProblem(now: at(0.3))?.contains("revoked") == true)
        // A late page of the abandoned snapshot is ignored.
        #expect(m.received(.snapshotPage(.init(baseSeq: 50, permits: [], nextAfter: nil)), now: at(0.4), wallClockMilliseconds: wall) == [])
    }

    @Test("an ack uploads the next batch at once; duplicate and out-of-order acks neither resend nor skip")
    func acks() {
        var m = connected(held: 0)
        #expect(m.tick(now: at(0.1)).contains(.uploadPending))
        m.batchSent([1, 2, 3], now: at(0.1))
        #expect(!m.tick(now: at(0.2)).contains(.uploadPending), "one batch in flight")
        // A stale ack of an older batch: delete those, keep waiting for this one.
        #expect(m.received(.ack(seqs: [0]), now: at(0.3), wallClockMilliseconds: wall) == [.acknowledgeEvents([0])])
        // Part of the batch, out of order, then the rest twice.
        #expect(m.received(.ack(seqs: [3, 1]), now: at(0.4), wallClockMilliseconds: wall) == [.acknowledgeEvents([3, 1])])
        #expect(m.received(.ack(seqs: [2]), now: at(0.5), wallClockMilliseconds: wall) == [.acknowledgeEvents([2]), .uploadPending])
        m.batchSent([4], now: at(0.5))
        #expect(m.received(.ack(seqs: [2]), now: at(0.6), wallClockMilliseconds: wall) == [.acknowledgeEvents([2])])
    }

    @Test("a batch unacknowledged for 5 s is sent again")
    func resendAfterMissingAck() {
        var m = connected(held: 0)
        m.batchSent([1], now: at(0))
        _ = m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall), now: at(4.9), wallClockMilliseconds: wall)
        #expect(!m.tick(now: at(4.9)).contains(.uploadPending))
        _ = m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall), now: at(5.1), wallClockMilliseconds: wall)
        #expect(m.tick(now: at(5.2)).contains(.uploadPending))
    }

    @Test("central silent for three heartbeats: the gate says hello every interval, and renews its socket after 10 s")
    func heartbeatTimeout() {
        var m = connected(held: 0, at: 0)
        #expect(!m.tick(now: at(1)).contains(.sendHello))
        #expect(m.isConnected(now: at(2.9)))
        #expect(!m.isConnected(now: at(3.1)))
        #expect(m.tick(now: at(3.1)).contains(.sendHello))
        #expect(!m.tick(now: at(3.5)).contains(.sendHello), "one hello per interval")
        #expect(!m.tick(now: at(9.5)).contains(.renewSocket))
        #expect(m.tick(now: at(10.5)).contains(.renewSocket))
        #expect(!m.tick(now: at(11)).contains(.renewSocket), "a renewed socket gets its own 10 s")
        #expect(m.tick(now: at(21)).contains(.renewSocket))
    }

    @Test("heartbeats run on the monotonic clock whatever the wall clock does, and a stepped clock is measured")
    func clockStep() {
        var m = connected(held: 0)
        let clock = ClockCheck(maxSkewMilliseconds: 10_000)
        clock.offsetMilliseconds = m.clockOffsetMilliseconds
        #expect(clock.isTrusted)
        // NTP steps the gate's wall clock back one hour: central's time is now an hour ahead of ours.
        let stepped = wall - 3_600_000
        _ = m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall), now: at(1), wallClockMilliseconds: stepped)
        #expect(m.clockOffsetMilliseconds == 3_600_000)
        clock.offsetMilliseconds = m.clockOffsetMilliseconds
        #expect(!clock.isTrusted)
        // Heartbeats keep their rhythm: only monotonic instants decide when they are due.
        var heartbeats = 0
        for tenth in 10...50 where m.tick(now: at(Double(tenth) / 10)).contains(.sendHeartbeat) { heartbeats += 1 }
        #expect(heartbeats == 5, "one at 1.0 s and then every second up to 5.0 s")
        // Corrected: trusted again.
        _ = m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall), now: at(6), wallClockMilliseconds: wall + 300)
        clock.offsetMilliseconds = m.clockOffsetMilliseconds
        #expect(clock.isTrusted)
    }

    @Test("a changed holiday calendar sequence makes the gate say hello to fetch it")
    func holidayCalendarChange() {
        var m = machine(held: 0)
        let welcome = CentralMessage.Welcome(
            version: 1, gate: Self.gate, headSeq: 0, holidays: ["2027-01-01"], serverTimeMilliseconds: wall, holidaysSeq: 3)
        #expect(m.received(.welcome(welcome), now: at(0), wallClockMilliseconds: wall) == [.adoptWelcome(welcome)])
        #expect(!m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall, holidaysSeq: 3), now: at(1), wallClockMilliseconds: wall)
            .contains(.sendHello))
        #expect(m.received(.heartbeatAck(headSeq: 0, serverTimeMilliseconds: wall, holidaysSeq: 4), now: at(2), wallClockMilliseconds: wall)
            .contains(.sendHello))
    }

    @Test("a welcome ahead of the held sequence starts a sync")
    func welcomeStartsSync() {
        var m = machine(held: 2)
        let welcome = CentralMessage.Welcome(version: 1, gate: Self.gate, headSeq: 9, holidays: [], serverTimeMilliseconds: wall)
        #expect(m.received(.welcome(welcome), now: at(0), wallClockMilliseconds: wall) == [.adoptWelcome(welcome), .send(.sync(fromSeq: 2))])
    }
}

/// The decision path's clock rule.
@Suite struct ClockCheckTests {
    @Test("with a clock off by more than the allowed skew, a violation becomes a review and authorised passages stand")
    func untrustedClockSendsViolationsToReview() {
        let clock = ClockCheck(maxSkewMilliseconds: 10_000)
        let violation = Decision.notAuthorised(permitID: "P1", validity: .expired)
        #expect(clock.vet(violation) == violation, "unknown offset: trusted")
        clock.offsetMilliseconds = -40 * 86_400_000
        #expect(clock.vet(violation) == .needsReview(.clockUntrusted(offsetMilliseconds: -40 * 86_400_000)))
        #expect(clock.vet(.authorised(permitID: "P1")) == .authorised(permitID: "P1"))
        clock.offsetMilliseconds = 9_000
        #expect(clock.vet(violation) == violation)
    }
}
