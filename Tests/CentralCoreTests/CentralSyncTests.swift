import Crypto
@testable import CentralCore
import TestSupport
import Domain
import Foundation
import Testing
import WireProtocol

/// Central's side of sync: pages that fit a frame, the holiday calendar's sequence,
/// liveness from any message, and the per-gate session rules.
@Suite struct CentralSyncTests {
    let store: CentralStore

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-central-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: folder + "/central.sqlite")))
    }

    /// About 590 bytes as JSON: a 150-character holder, four zones, three windows.
    static func realistic(_ index: Int, holder: Int = 150) -> Permit {
        let windows = [
            TimeWindow(days: [.monday, .tuesday, .wednesday], start: 7 * 60, end: 11 * 60),
            TimeWindow(days: [.thursday, .friday], start: 16 * 60, end: 20 * 60 + 30),
            TimeWindow(days: [.saturday, .sunday], start: 8 * 60, end: 10 * 60, holidays: true),
        ]
        return Permit(
            id: String(format: "P%07d", index), plate: PlateText(DemoFleet.plate(index))!, profile: .delivery,
            zones: ["casco-viejo", "abando", "bilbao-la-vieja", "san-francisco"], validFrom: Date(timeIntervalSince1970: 1_764_000_000),
            validUntil: Date(timeIntervalSince1970: 1_900_000_000), windows: windows, maxStaySeconds: 1800,
            holder: String(repeating: "h", count: holder))
    }

    @Test("3,000 realistic permits page into messages that each fit the frame limit, in changes and in snapshots")
    func pagesFitTheFrame() throws {
        try store.save((0..<3_000).map { Self.realistic($0) })
        #expect(WireCodec.encode(Self.realistic(0)).count > 550)
        var from: Int64 = 0
        var pages = 0
        while case .changes(let permits, let head) = try store.changes(
            after: from, limit: ProtocolVersion.maxPermitsPerPage, maxBytes: ProtocolVersion.maxPageBytes), let last = permits.last
        {
            #expect(WireCodec.encode(CentralMessage.changes(.init(permits: permits, headSeq: head))).count <= ProtocolVersion.maxFrameBytes)
            #expect(permits.first?.seq == from + 1, "consecutive")
            from = last.seq
            pages += 1
        }
        #expect(from == 3_000)
        #expect(pages >= 2, "2,000 such permits would not fit one frame")
        var after: String?
        var count = 0
        repeat {
            let page = try store.snapshotPage(after: after, limit: ProtocolVersion.maxPermitsPerPage, maxBytes: ProtocolVersion.maxPageBytes)
            #expect(WireCodec.encode(CentralMessage.snapshotPage(page)).count <= ProtocolVersion.maxFrameBytes)
            count += page.permits.count
            after = page.nextAfter
        } while after != nil
        #expect(count == 3_000)
    }

    @Test("a page always carries at least one permit, however large")
    func onePermitAlwaysFits() throws {
        try store.save([Self.realistic(1, holder: 100), Self.realistic(2, holder: 100)])
        guard case .changes(let permits, _) = try store.changes(after: 0, limit: 10, maxBytes: 10) else {
            Issue.record("expected changes")
            return
        }
        #expect(permits.map(\.seq) == [1])
        #expect(try store.snapshotPage(after: nil, limit: 10, maxBytes: 10).nextAfter == "P0000001")
    }

    @Test("a bulk save in small transactions keeps one consecutive sequence")
    func chunkedSaveKeepsSequence() throws {
        let saved = try store.save((0..<2_500).map { DemoFleet.permit($0, zone: "casco-viejo", now: Date()) }, transactionSize: 1_000)
        #expect(saved.map(\.seq) == Array(1...2_500))
        #expect(try store.headSeq() == 2_500)
    }

    @Test("every change to the holiday calendar moves its sequence; reading does not")
    func holidayCalendarSequence() throws {
        #expect(try store.holidaysSeq() == nil)
        try store.setHolidays(.bilbaoDefault(through: 2030))
        #expect(try store.holidaysSeq() == 1)
        #expect(try store.holidayCalendar().dates.contains("2030-04-19"), "Good Friday 2030")
        try store.addHolidays([(LocalDate("2031-01-01")!, "New Year")])
        #expect(try store.holidaysSeq() == 2)
        #expect(try store.removeHolidays([LocalDate("2040-01-01")!]) == 0)
        #expect(try store.holidaysSeq() == 2, "removing nothing changes nothing")
        #expect(try store.removeHolidays([LocalDate("2031-01-01")!]) == 1)
        #expect(try store.holidaysSeq() == 3)
    }

    @Test("a gate heard from without any heartbeat is alive, not offline")
    func anyMessageShowsAlive() throws {
        try store.registerGate(Gate(id: "uploader", zone: "z", direction: .entry), publicKey: String(repeating: "u", count: 40))
        try store.saveHealth([("uploader", Date(), nil)])
        let gate = try #require(try CentralStatus.read(from: store).gates.first)
        #expect(gate.state != .offline)
        #expect(gate.reasons == ["no heartbeat yet"])
        // A later heartbeat-less message keeps the health it had.
        try store.saveHealth([("uploader", Date(), CentralStoreTests.health(seq: 0))])
        try store.saveHealth([("uploader", Date(), nil)])
        #expect(try store.healthReports()["uploader"]?.health != nil)
    }

    @Test("a gate whose clock is far from central's is lagging, with the reason")
    func clockSkewShows() throws {
        try store.registerGate(Gate(id: "ahead", zone: "z", direction: .entry), publicKey: String(repeating: "a", count: 40))
        var health = CentralStoreTests.health(seq: 0)
        health.clockMilliseconds += 40 * 86_400_000
        try store.saveHealth([("ahead", Date(), health)])
        let gate = try #require(try CentralStatus.read(from: store).gates.first)
        #expect(gate.state == .lagging)
        #expect(gate.reasons.contains { $0.hasPrefix("clock 3456000 s ahead") })
    }

    @Test("the Easter computation matches known dates")
    func easter() {
        #expect(HolidayCalendar.easterSunday(2026).description == "2026-04-05")
        #expect(HolidayCalendar.easterSunday(2027).description == "2027-03-28")
        #expect(HolidayCalendar.easterSunday(2035).description == "2035-03-25")
    }
}

@Suite struct CentralGateSessionTests {
    let start = ContinuousClock.now
    let limits = CentralGateSession.Limits()

    @Test("permit requests beyond a gate's budget are deferred until it refills; events and heartbeats are never throttled")
    func permitRequestsAreRateLimited() {
        var session = CentralGateSession(routingID: [1], now: start, limits: limits)
        var served = 0
        for _ in 0..<400 where session.admit(.snapshot(afterID: nil), now: start, limits: limits) == .serve { served += 1 }
        #expect(served == Int(limits.permitRequestBurst))
        #expect(session.admit(.events([Event(seq: 1, atMilliseconds: 1, kind: .authorised, plate: nil, confidence: 1)]), now: start, limits: limits) == .serve)
        // The budget refills with time.
        #expect(session.admit(.sync(fromSeq: 0), now: start, limits: limits) == .deferred)
        #expect(session.admit(.sync(fromSeq: 0), now: start + .seconds(1), limits: limits) == .serve)
    }

    @Test("a session stays pushable however long it is silent, stops when the router says its connection is gone, and resumes on the connection the gate next speaks on")
    func reachability() {
        var session = CentralGateSession(routingID: [1], now: start, limits: limits)
        #expect(!session.unreachable)
        session.markUnreachable()
        #expect(session.unreachable)
        session.heard(from: [2], now: start + .seconds(3600))
        #expect(!session.unreachable)
        #expect(session.routingID == [2], "pushes go to the connection the gate last spoke on")
    }

    @Test("central knows which permit sequence each gate holds")
    func reportedSequence() {
        var session = CentralGateSession(routingID: [1], now: start, limits: limits)
        _ = session.admit(.hello(.init(software: "t", permitSeq: 4, gateID: nil)), now: start, limits: limits)
        #expect(session.reportedPermitSeq == 4)
        _ = session.admit(.sync(fromSeq: 7), now: start, limits: limits)
        #expect(session.reportedPermitSeq == 7)
    }

    @Test("a batch message sent again byte for byte is answered with the seqs its commit acknowledged; another message of the same size is not, and only the last few are kept")
    func resentBatchIsAnsweredFromMemory() {
        var session = CentralGateSession(routingID: [1], now: start, limits: limits)
        func message(_ seq: Int64) -> [UInt8] {
            WireCodec.encode(GateMessage.events([Event(seq: seq, atMilliseconds: 1_000 + seq, kind: .authorised, plate: "1234BCD", confidence: 0.9)]))
        }
        #expect(session.acknowledgedSeqs(for: message(10)) == nil, "nothing committed yet")
        session.rememberAck(size: message(10).count, digest: SHA256.hash(data: message(10)), seqs: [10])
        #expect(session.acknowledgedSeqs(for: message(10)) == [10])
        #expect(message(11).count == message(10).count)
        #expect(session.acknowledgedSeqs(for: message(11)) == nil, "same size, other content: goes to the store")
        for seq in Int64(11)...Int64(10 + CentralGateSession.recentAcksKept) {
            session.rememberAck(size: message(seq).count, digest: SHA256.hash(data: message(seq)), seqs: [seq])
        }
        #expect(session.acknowledgedSeqs(for: message(10)) == nil, "the oldest is forgotten")
        #expect(session.acknowledgedSeqs(for: message(11)) == [11])
    }
}
