import Domain
import EdgeCore
import Foundation
import Testing
import WireProtocol

/// Issue 13, point 3: when the gate leaves a central endpoint for the next, as a value.
@Suite struct GateSyncFailoverTests {
    typealias Machine = GateSyncStateMachine
    let start = ContinuousClock.now
    let wall: Int64 = 1_764_157_200_000

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    /// A machine with `endpoints` centrals (heartbeat 1 s: connected window 3 s, failover after 5 s) that heard central at `time`.
    func connected(endpoints: Int = 2, held: Int64 = 0, at time: Double = 0) -> Machine {
        var m = Machine(configuration: .init(heartbeatInterval: .seconds(1)), held: held, endpointCount: endpoints, now: start)
        _ = m.received(.heartbeatAck(headSeq: held, serverTimeMilliseconds: wall), now: at(time), wallClockMilliseconds: wall)
        return m
    }

    /// Ticks every 100 ms from `from` to `to`; the first switch seen, and when.
    func firstSwitch(_ m: inout Machine, from: Double, to: Double) -> (index: Int, at: Double)? {
        var time = from
        while time <= to + 1e-9 {
            for case .switchEndpoint(let index) in m.tick(now: at(time)) { return (index, time) }
            time += 0.1
        }
        return nil
    }

    func heartbeatAck(_ m: inout Machine, at time: Double, head: Int64 = 0) {
        _ = m.received(.heartbeatAck(headSeq: head, serverTimeMilliseconds: wall), now: at(time), wallClockMilliseconds: wall)
    }

    @Test("a connection libzmq re-established on its own is announced by a heartbeat at once, not at the next interval")
    func reconnectAnnouncedAtOnce() {
        var m = Machine(configuration: .init(heartbeatInterval: .seconds(60)), held: 0, endpointCount: 1, now: start)
        m.transport(up: true)
        _ = m.tick(now: at(0))  // hello and the first heartbeat
        heartbeatAck(&m, at: 0.1)
        #expect(!m.tick(now: at(1)).contains(.sendHeartbeat), "the next heartbeat is a minute away")
        m.transport(up: false)
        m.transport(up: true)
        #expect(m.tick(now: at(2)).contains(.sendHeartbeat), "central must learn the new connection to push to it")
        #expect(!m.tick(now: at(3)).contains(.sendHeartbeat), "once")
    }

    @Test("with one endpoint the gate never fails over: after 10 s of silence it only renews its socket")
    func oneEndpointOnlyRenews() {
        var m = connected(endpoints: 1)
        m.transport(up: false)
        #expect(firstSwitch(&m, from: 0.1, to: 30) == nil)
        #expect(m.tick(now: at(30.1)).contains(.renewSocket) || m.failovers == 0)
        #expect(m.endpoint == 0 && m.failovers == 0)
    }

    @Test("a central whose connection closed is left once it misses the connected window (3 s), for the next endpoint")
    func closedConnectionFailsOverAfterTheWindow() {
        var m = connected()
        m.transport(up: false)  // the monitor: disconnected (the process died)
        let moved = firstSwitch(&m, from: 0.1, to: 10)
        #expect(moved?.index == 1)
        #expect(moved.map { $0.at >= 3 && $0.at < 3.2 } == true, "moved at \(String(describing: moved?.at))")
        #expect(m.endpoint == 1 && m.failovers == 1)
    }

    @Test("a central that falls silent with no word from the monitor (a vanished host) is left after 5 s")
    func silenceAloneFailsOverAfterFiveSeconds() {
        var m = connected()
        let moved = firstSwitch(&m, from: 0.1, to: 10)
        #expect(moved?.index == 1)
        #expect(moved.map { $0.at >= 5 && $0.at < 5.2 } == true, "moved at \(String(describing: moved?.at))")
    }

    @Test("the move sends hello at once, and the batch that was never acknowledged goes again to the new central")
    func sessionResumesAtTheNextEndpoint() {
        var m = connected(held: 7)
        _ = m.tick(now: at(0.05))
        m.batchSent([1, 2, 3], now: at(0.1))
        #expect(!m.tick(now: at(0.2)).contains(.uploadPending), "the batch is in flight")
        m.transport(up: false)
        var actions: [Machine.Action] = []
        var time = 0.3
        while !actions.contains(where: { if case .switchEndpoint = $0 { true } else { false } }) {
            actions = m.tick(now: at(time))
            time += 0.1
        }
        #expect(actions.contains(.sendHello), "hello goes with the move: \(actions)")
        // The new central answers the hello: the gate is connected and uploads from the oldest unacknowledged event.
        let welcome = CentralMessage.Welcome(
            version: 1, gate: Gate(id: "g1", zone: "casco-viejo", direction: .entry), headSeq: 7, holidays: [],
            serverTimeMilliseconds: wall)
        _ = m.received(.welcome(welcome), now: at(time), wallClockMilliseconds: wall)
        #expect(m.tick(now: at(time + 0.05)).contains(.uploadPending))
        #expect(m.held == 7, "the permit sequence carries over")
    }

    @Test("each endpoint gets its own full window, and the gate comes back to the first in turn")
    func roundRobinWithAFullWindowEach() {
        var m = connected(endpoints: 3)
        m.transport(up: false)
        let first = firstSwitch(&m, from: 0.1, to: 10)
        #expect(first?.index == 1)
        guard let first else { return }
        // Nothing answers anywhere, and the monitor says nothing more: 5 s at each.
        let second = firstSwitch(&m, from: first.at + 0.1, to: first.at + 10)
        #expect(second?.index == 2)
        #expect(second.map { $0.at - first.at >= 4.95 } == true)
        guard let second else { return }
        m.transport(up: false)
        let third = firstSwitch(&m, from: second.at + 0.1, to: second.at + 10)
        #expect(third?.index == 0)
        #expect(third.map { $0.at - second.at >= 2.95 && $0.at - second.at < 3.2 } == true)
        #expect(m.failovers == 3)
    }

    @Test("a gate stays with the central that answers: a minute of heartbeats at the second endpoint moves it nowhere")
    func noFlapping() {
        var m = connected()
        m.transport(up: false)
        guard let moved = firstSwitch(&m, from: 0.1, to: 10) else {
            Issue.record("no failover")
            return
        }
        m.transport(up: true)
        var time = moved.at
        while time < moved.at + 60 {
            heartbeatAck(&m, at: time)
            for action in m.tick(now: at(time + 0.5)) {
                if case .switchEndpoint = action { Issue.record("moved again at \(time)") }
            }
            time += 1
        }
        #expect(m.endpoint == 1 && m.failovers == 1)
    }

    @Test("a permit snapshot interrupted by the move asks the new central for the page whose answer was lost, as soon as it answers")
    func snapshotResumesAtTheLostPage() {
        var m = connected(held: 2)
        _ = m.received(.snapshotRequired(headSeq: 900), now: at(0.1), wallClockMilliseconds: wall)
        let page = CentralMessage.snapshotPage(.init(baseSeq: 900, permits: [], nextAfter: "P0500"))
        #expect(m.received(page, now: at(0.2), wallClockMilliseconds: wall) == [.stageSnapshotPage([]), .send(.snapshot(afterID: "P0500"))])
        m.transport(up: false)
        #expect(firstSwitch(&m, from: 0.3, to: 10) != nil)
        heartbeatAck(&m, at: 4, head: 900)
        #expect(m.tick(now: at(4.05)).contains(.send(.snapshot(afterID: "P0500"))))
    }

    @Test("a hello is sent as soon as the handshake with a new endpoint succeeds, not a heartbeat later")
    func helloRightAfterHandshake() {
        var m = connected()
        m.transport(up: false)
        guard let moved = firstSwitch(&m, from: 0.1, to: 10) else {
            Issue.record("no failover")
            return
        }
        // The hello sent with the move found no connection yet (ZMQ_IMMEDIATE); 200 ms later the handshake is done.
        #expect(!m.tick(now: at(moved.at + 0.1)).contains(.sendHello))
        m.transport(up: true)
        #expect(m.tick(now: at(moved.at + 0.2)).contains(.sendHello))
    }
}
