import TestSupport
import CentralCore
import Domain
import Foundation
import GRDB
import Testing
import WireProtocol

@Suite struct CentralStoreTests {
    let store: CentralStore

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-central-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: folder + "/central.sqlite")))
    }

    static func permit(_ index: Int) -> Permit { DemoFleet.permit(index, zone: "casco-viejo", now: Date()) }

    @Test func everyChangeGetsTheNextSequence() throws {
        let saved = try store.save((0..<5).map(Self.permit))
        #expect(saved.map(\.seq) == [1, 2, 3, 4, 5])
        let revoked = try #require(try store.setStatus(.revoked, permitID: saved[1].id))
        #expect(revoked.seq == 6 && revoked.status == .revoked)
        #expect(try store.headSeq() == 6)
        #expect(try store.permit(id: saved[1].id)?.status == .revoked)
    }

    @Test func changesAfterASequenceAreConsecutive() throws {
        try store.save((0..<10).map(Self.permit))
        guard case .changes(let permits, let head) = try store.changes(after: 4, limit: 3) else {
            Issue.record("expected changes")
            return
        }
        #expect(permits.map(\.seq) == [5, 6, 7])
        #expect(head == 10)
        guard case .changes(let none, _) = try store.changes(after: 10, limit: 3) else { return }
        #expect(none.isEmpty)
    }

    @Test func tooFarBehindOrCompactedAsksForSnapshot() throws {
        try store.save((0..<30).map(Self.permit))
        guard case .snapshotRequired = try store.changes(after: 0, limit: 100, snapshotBeyond: 10) else {
            Issue.record("a gate 30 behind with a limit of 10 must snapshot")
            return
        }
        try store.compactChangeLog(keep: 5)
        guard case .snapshotRequired = try store.changes(after: 20, limit: 100) else {
            Issue.record("the log no longer reaches seq 21")
            return
        }
        guard case .snapshotRequired = try store.changes(after: 31, limit: 100) else {
            Issue.record("a gate ahead of central (a restored central) must snapshot")
            return
        }
        guard case .changes(let permits, _) = try store.changes(after: 25, limit: 100) else {
            Issue.record("the log still reaches seq 26")
            return
        }
        #expect(permits.map(\.seq) == [26, 27, 28, 29, 30])
    }

    @Test func snapshotPagesCoverTheSetOnce() throws {
        try store.save((0..<25).map(Self.permit))
        try store.save(Self.permit(3))  // a second change to one permit: still one row
        var after: String?
        var ids: [String] = []
        repeat {
            let page = try store.snapshotPage(after: after, limit: 7)
            #expect(page.baseSeq == 26)
            ids += page.permits.map(\.id)
            after = page.nextAfter
        } while after != nil
        #expect(ids == (0..<25).map { String(format: "P%07d", $0) })
    }

    @Test func duplicateEventsAreStoredOnceAndAcknowledgedAgain() throws {
        let events = (1...5).map { Event(seq: Int64($0), atMilliseconds: 1, kind: .violation, plate: "1234BCD", confidence: 0.99) }
        #expect(try store.store(events: events, from: "gate-1") == [1, 2, 3, 4, 5])
        #expect(try store.store(events: Array(events[2...]), from: "gate-1") == [3, 4, 5])
        #expect(try store.store(events: events, from: "gate-2") == [1, 2, 3, 4, 5])
        #expect(try store.eventKeys(gateID: "gate-1") == [1, 2, 3, 4, 5])
        #expect(try store.eventCounts() == .init(total: 10, violations: 10, reviews: 0))
    }

    @Test("the counts behind the dashboard (totals, cases waiting, a Madrid day by the hour) follow ingest, retries, conflicts and review decisions exactly")
    func talliedCountsMatchTheEvents() throws {
        // 25 October 2026 is the autumn change in Madrid: 25 hours, the last two counted in the 24th bucket.
        let day = try #require(LocalDate(year: 2026, month: 10, day: 25))
        func at(_ hour: Int, _ minute: Int, on date: LocalDate = day) throws -> Int64 {
            Int64(try #require(MadridTime.instant(date, hour: hour, minute: minute)).timeIntervalSince1970 * 1000)
        }
        let kinds: [DecisionKind] = [.authorised, .violation, .review, .authorised, .exit]
        var events: [Event] = []
        for (index, hour) in [0, 0, 1, 9, 9, 9, 13, 22, 23].enumerated() {
            events.append(Event(
                seq: Int64(index + 1), atMilliseconds: try at(hour, 30), kind: kinds[index % kinds.count], plate: "1234BCD",
                confidence: 0.99, source: "camera"))
        }
        // The day before and the day after count in the totals, not in the day's chart.
        let previousDay = try #require(LocalDate(year: 2026, month: 10, day: 24))
        let nextDay = try #require(LocalDate(year: 2026, month: 10, day: 26))
        events.append(Event(seq: 10, atMilliseconds: try at(23, 59, on: previousDay), kind: .violation, plate: "1234BCD", confidence: 0.99, source: "camera"))
        events.append(Event(seq: 11, atMilliseconds: try at(0, 0, on: nextDay), kind: .review, plate: "1234BCD", confidence: 0.5, source: "camera"))
        try store.store(events: events, from: "gate-1")
        try store.store(events: Array(events[3...]), from: "gate-1")  // a retry after a lost ack
        let changed = Event(seq: 2, atMilliseconds: try at(5, 0), kind: .violation, plate: "9999XYZ", confidence: 0.99, source: "camera")
        try store.store(events: [changed], from: "gate-1")  // a conflict: kept apart, not counted as an event
        try store.store(events: Array(events[0..<3]), from: "gate-2")

        let all = events + events[0..<3]
        let violations = all.filter { $0.kind == .violation }.count
        let reviews = all.filter { $0.kind == .review }.count
        #expect(try store.eventCounts() == .init(total: all.count, violations: violations, reviews: reviews))
        #expect(try store.waitingCaseCount() == violations + reviews)

        let hourly = try store.hourlyCounts(day: day)
        #expect(hourly.count == 24)
        #expect(hourly.map(\.passages).reduce(0, +) == 9 + 3)
        #expect(hourly[0].passages == 4 && hourly[0].violations == 2)  // gate-1 00:30 ×2 (authorised, violation), gate-2 the same
        #expect(hourly[1].reviews == 2)
        // 22:30 and 23:30 local are the 24th and 25th hours of the day: both in the last bucket.
        #expect(hourly[23].passages == 2)

        let ana = Actor(name: "ana", role: .operator_)
        let cases = all.indices.filter { [.violation, .review].contains(all[$0].kind) }.map { index in
            CaseID(gateID: index < events.count ? "gate-1" : "gate-2", origin: "", seq: all[index].seq)
        }
        _ = try store.act(.confirm(correctedPlate: nil), on: cases[0], by: ana)
        _ = try store.act(.dismiss(reason: "misread"), on: cases[1], by: ana)
        _ = try store.act(.escalate(reason: "unsure"), on: cases[2], by: ana)  // still waiting, for a supervisor
        #expect(try store.waitingCaseCount() == violations + reviews - 2)
    }

    @Test("a repeated (gate, origin, seq) with other content is kept as a conflict, acknowledged, and reported in status, never silently acked")
    func conflictsAreKeptAndReported() throws {
        try store.registerGate(Gate(id: "gate-1", zone: "z", direction: .entry), publicKey: String(repeating: "c", count: 40))
        let original = (1...3).map { Event(seq: Int64($0), atMilliseconds: 1, kind: .violation, plate: "1234BCD", confidence: 0.99) }
        try store.store(events: original, from: "gate-1", origin: "o1")
        let other = (1...3).map { Event(seq: Int64($0), atMilliseconds: 2, kind: .violation, plate: "9999XYZ", confidence: 0.99) }
        let stored = try store.commit(events: other, from: "gate-1", origin: "o1")
        #expect(stored.seqs == [1, 2, 3], "acknowledged, so the gate does not jam")
        #expect(stored.conflicts == [1, 2, 3])
        // The same conflict re-sent after a lost ack is kept once; an identical retry is no conflict.
        _ = try store.commit(events: other, from: "gate-1", origin: "o1")
        #expect(try store.commit(events: original, from: "gate-1", origin: "o1").conflicts.isEmpty)
        #expect(try store.conflictCounts() == ["gate-1": 3])
        #expect(try store.eventPlates(gateID: "gate-1").values.allSatisfy { $0 == "1234BCD" }, "what central held is unchanged")
        try store.saveHealth([("gate-1", Date(), Self.health(seq: 0))])
        let status = try CentralStatus.read(from: store)
        #expect(status.gates.first?.conflicts == 3)
        #expect(status.table().contains("3 conflicting events kept"))
    }

    @Test("central status reports a gate that dropped violations or reviews")
    func droppedViolationsAreReported() throws {
        try store.registerGate(Gate(id: "gate-1", zone: "z", direction: .entry), publicKey: String(repeating: "d", count: 40))
        var health = Self.health(seq: 0)
        health.dropped = .init(authorised: 40, exit: 0, violation: 2, review: 1)
        try store.saveHealth([("gate-1", Date(), health)])
        #expect(try CentralStatus.read(from: store).table().contains("dropped 2 violations and 1 reviews"))
    }

    @Test("a gate whose heartbeat says its camera is down, or silent, is lagging with the reason; a streaming one is ok")
    func cameraStateDecidesStatus() throws {
        try store.registerGate(Gate(id: "gate-1", zone: "z", direction: .entry), publicKey: String(repeating: "e", count: 40))
        func status(_ camera: CameraStatus?) throws -> GateStatus? {
            var health = Self.health(seq: try store.headSeq())
            health.camera = camera
            try store.saveHealth([("gate-1", Date(), health)])
            return try CentralStatus.read(from: store).gates.first
        }
        var camera = CameraStatus(
            device: "/dev/video0", streaming: true, format: "YUYV 640x480", framesPerSecond: 15, lastFrameAgeSeconds: 0.1,
            reopenCount: 0, lastError: nil, framesCaptured: 100, framesAnalysed: 20, framesSkipped: 80, framesDropped: 0,
            exposure: nil, gain: nil)
        #expect(try status(camera)?.state == .ok)
        #expect(try CentralStatus.read(from: store).table().contains("15 fps"))
        camera.lastFrameAgeSeconds = 30
        #expect(try status(camera)?.reasons.contains("no camera frame for 30 s") == true)
        camera.streaming = false
        camera.lastError = "ENODEV"
        let down = try status(camera)
        #expect(down?.state == .lagging)
        #expect(down?.reasons.contains("camera not streaming: ENODEV") == true)
    }

    @Test("origins separate a gate's databases: a wiped gate's events from 1 are new events, and welcome's last seq is per origin")
    func originsSeparateDatabases() throws {
        let events = (1...4).map { Event(seq: Int64($0), atMilliseconds: Int64($0), kind: .violation, plate: "1234BCD", confidence: 0.99) }
        try store.store(events: events, from: "gate-1", origin: "")
        let fresh = (1...2).map { Event(seq: Int64($0), atMilliseconds: 100, kind: .review, plate: nil, confidence: 0.2, reason: "unreadable") }
        #expect(try store.commit(events: fresh, from: "gate-1", origin: "new").conflicts.isEmpty)
        #expect(try store.eventCounts() == .init(total: 6, violations: 4, reviews: 2))
        #expect(try store.lastEventSeq(gateID: "gate-1", origin: "") == 4)
        #expect(try store.lastEventSeq(gateID: "gate-1", origin: "new") == 2)
        #expect(try store.lastEventSeq(gateID: "gate-1", origin: "other") == 0)
    }

    @Test("retention forgets the plates of authorised passages kept as conflicts too, and keeps violations")
    func retentionReachesConflicts() throws {
        try store.store(events: [Event(seq: 1, atMilliseconds: 1, kind: .violation, plate: "1111BCD", confidence: 0.99)], from: "g", origin: "o")
        let passage = Event(seq: 1, atMilliseconds: 2, kind: .authorised, plate: "2222BCD", confidence: 0.99, permitID: "P")
        let violation = Event(seq: 1, atMilliseconds: 3, kind: .violation, plate: "3333BCD", confidence: 0.99)
        #expect(try store.commit(events: [passage], from: "g", origin: "o").conflicts == [1])
        #expect(try store.commit(events: [violation], from: "g", origin: "o").conflicts == [1])
        #expect(try store.forgetAuthorisedPlates(before: Date()) == 1)
        #expect(try store.conflictCounts() == ["g": 2])
        // The forgotten passage re-sent is the same conflict, not a new one.
        _ = try store.commit(events: [passage], from: "g", origin: "o")
        #expect(try store.conflictCounts() == ["g": 2])
    }

    @Test("a plate forgotten by retention does not turn a late retry of an authorised passage into a conflict")
    func forgottenPlateIsNoConflict() throws {
        let passage = Event(seq: 1, atMilliseconds: 1, kind: .authorised, plate: "1234BCD", confidence: 0.99, permitID: "P1")
        try store.store(events: [passage], from: "gate-1", origin: "o")
        try store.forgetAuthorisedPlates(before: Date())
        #expect(try store.commit(events: [passage], from: "gate-1", origin: "o").conflicts.isEmpty)
    }

    @Test("a central database of migration v1 keeps its events, under origin \"\"", .enabled(if: !TestEngine.isPostgres, "a SQLite file of version 1"))
    func versionOneDatabaseMigrates() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-v1-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/central.sqlite"
        // The v1 events table as shipped, marked migrated the way GRDB marks it.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1');
                CREATE TABLE gates (id TEXT PRIMARY KEY, zone TEXT NOT NULL, direction TEXT NOT NULL, public_key TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL, registered_ms INTEGER NOT NULL);
                CREATE TABLE permits (id TEXT PRIMARY KEY, plate TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);
                CREATE INDEX permits_plate ON permits(plate);
                CREATE TABLE permit_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, permit_id TEXT NOT NULL, json TEXT NOT NULL, created_ms INTEGER NOT NULL);
                CREATE TABLE events (gate_id TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, plate TEXT,
                    confidence REAL NOT NULL, permit_id TEXT, reason TEXT, candidates TEXT, received_ms INTEGER NOT NULL,
                    PRIMARY KEY (gate_id, seq)) WITHOUT ROWID;
                CREATE INDEX events_kind ON events(kind, at_ms);
                CREATE TABLE gate_health (gate_id TEXT PRIMARY KEY, last_seen_ms INTEGER NOT NULL, health TEXT NOT NULL);
                CREATE TABLE holidays (date TEXT PRIMARY KEY);
                INSERT INTO events VALUES ('gate-1', 1, 1, 'violation', '1234BCD', 0.99, NULL, NULL, NULL, 1);
                INSERT INTO events VALUES ('gate-1', 2, 2, 'violation', '5678BCD', 0.99, NULL, NULL, NULL, 1);
                """)
        }
        let migrated = try CentralStore(path: path)
        #expect(try migrated.eventPlates(gateID: "gate-1") == [1: "1234BCD", 2: "5678BCD"])
        #expect(try migrated.lastEventSeq(gateID: "gate-1", origin: "") == 2)
        // A gate of revision 2 (no origin) retrying event 2 is a duplicate, not a conflict.
        let retry = Event(seq: 2, atMilliseconds: 2, kind: .violation, plate: "5678BCD", confidence: 0.99)
        #expect(try migrated.commit(events: [retry], from: "gate-1", origin: "").conflicts.isEmpty)
    }

    @Test func aKeyBelongsToOneGateAndRevocationSticks() throws {
        let key = String(repeating: "a", count: 40)
        try store.registerGate(Gate(id: "g1", zone: "z", direction: .entry), publicKey: key)
        #expect(throws: CentralStore.RegistrationError.self) {
            try store.registerGate(Gate(id: "g2", zone: "z", direction: .entry), publicKey: key)
        }
        #expect(try store.gate(publicKey: key)?.gate.id == "g1")
        #expect(try store.revokeGate(id: "g1"))
        #expect(try store.gate(publicKey: key)?.revoked == true)
        #expect(try !store.revokeGate(id: "nobody"))
    }

    @Test("an id registered with another key is re-keyed only when asked, and ids and zones are held to their alphabet")
    func reKeyingNeedsConsent() throws {
        let first = String(repeating: "a", count: 40), second = String(repeating: "b", count: 40)
        try store.registerGate(Gate(id: "g1", zone: "z", direction: .entry), publicKey: first)
        #expect(throws: CentralStore.RegistrationError.idRegisteredWithAnotherKey("g1")) {
            try store.registerGate(Gate(id: "g1", zone: "z", direction: .entry), publicKey: second)
        }
        #expect(try store.gate(publicKey: first)?.gate.id == "g1")
        // The same key again (a zone change) is not a replacement.
        try store.registerGate(Gate(id: "g1", zone: "z2", direction: .exit), publicKey: first)
        try store.registerGate(Gate(id: "g1", zone: "z", direction: .entry), publicKey: second, replaceKey: true)
        #expect(try store.gate(publicKey: first) == nil)
        #expect(try store.gate(publicKey: second)?.gate.id == "g1")
        for id in ["", "g\n1", "g\t1", "../g", String(repeating: "g", count: 5_000)] {
            #expect(throws: CentralStore.RegistrationError.self) {
                try store.registerGate(Gate(id: id, zone: "z", direction: .entry), publicKey: String(repeating: "c", count: 40))
            }
        }
        #expect(throws: CentralStore.RegistrationError.self) {
            try store.registerGate(Gate(id: "g9", zone: "zone\nforged", direction: .entry), publicKey: String(repeating: "d", count: 40))
        }
        #expect(try store.gates().map(\.gate.id) == ["g1"])
    }

    static func health(seq: Int64, oldest: Double = 0, depth: Int = 0) -> GateHealth {
        GateHealth(
            permitSeq: seq, bufferDepth: depth, bufferCapacity: 100, oldestUnsentSeconds: oldest, droppedAuthorised: 0,
            lastFrameMilliseconds: nil, recognitionRate: 0, diskFreeBytes: 1 << 30,
            clockMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), uptimeSeconds: 1,
            software: "t")
    }

    @Test("a gate with a slow heartbeat is offline only after three of its intervals; one that says nothing of its interval after 10 s")
    func offlineFollowsTheGatesHeartbeat() throws {
        for (index, id) in ["slow", "default"].enumerated() {
            try store.registerGate(Gate(id: id, zone: "z", direction: .entry), publicKey: String(repeating: "h", count: 39) + "\(index)")
        }
        let now = Date()
        var slow = Self.health(seq: 0)
        slow.heartbeatSeconds = 20
        try store.saveHealth([("slow", now, slow), ("default", now, Self.health(seq: 0))])
        func states(after seconds: Double) throws -> [String: GateStatus.State] {
            Dictionary(uniqueKeysWithValues: try CentralStatus.read(from: store, now: now.addingTimeInterval(seconds)).gates.map { ($0.gateID, $0.state) })
        }
        #expect(try states(after: 25) == ["slow": .ok, "default": .offline])
        #expect(try states(after: 61) == ["slow": .offline, "default": .offline])
        // The interval is checked like every health field.
        slow.heartbeatSeconds = -1
        #expect(slow.problem == "heartbeat_s must be a number within 0.01...3600.0")
    }

    @Test func statusSeparatesOkLaggingOffline() throws {
        for (index, id) in ["ok", "behind", "backlog", "silent", "never"].enumerated() {
            try store.registerGate(Gate(id: id, zone: "z", direction: .entry), publicKey: String(repeating: "k", count: 39) + "\(index)")
        }
        try store.save(Self.permit(1))
        try store.save(Self.permit(2))
        let now = Date()
        try store.saveHealth([
            ("ok", now, Self.health(seq: 2)),
            ("behind", now, Self.health(seq: 1)),
            ("backlog", now, Self.health(seq: 2, oldest: 120, depth: 5)),
            ("silent", now.addingTimeInterval(-60), Self.health(seq: 2)),
        ])
        // Ten seconds later the change the "behind" gate misses is old enough to count.
        let status = try CentralStatus.read(from: store, now: now.addingTimeInterval(6))
        let states = Dictionary(uniqueKeysWithValues: status.gates.map { ($0.gateID, $0.state) })
        #expect(states == ["ok": .ok, "behind": .lagging, "backlog": .lagging, "silent": .offline, "never": .offline])
        #expect(status.counts.ok == 1 && status.counts.lagging == 2 && status.counts.offline == 2)
        #expect(status.table().contains("1 ok, 2 lagging, 2 offline"))
        // A fresh change does not make a gate lagging at once.
        let immediate = try CentralStatus.read(from: store, now: now)
        #expect(immediate.gates.first { $0.gateID == "behind" }?.state == .ok)
    }
}

@Suite struct PermitCSVTests {
    @Test func readsEveryColumn() throws {
        let permits = try PermitCSV.parse("""
            id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder
            P1,1234 BCD,resident,casco-viejo,2026-01-01,,,,active,H1
            P2,bi-1234-ab,delivery,casco-viejo;ensanche,2026-01-01,2026-12-31,"mon-fri 07:00-11:00;sat,hol 08:00-10:00",1800,suspended,H2
            """)
        #expect(permits.count == 2)
        #expect(permits[0].plate.normalized == "1234BCD" && permits[0].validUntil == nil && permits[0].windows.isEmpty)
        let delivery = permits[1]
        #expect(delivery.plate.normalized == "BI1234AB")
        #expect(delivery.zones == ["casco-viejo", "ensanche"])
        #expect(delivery.windows == [
            TimeWindow(days: [.monday, .tuesday, .wednesday, .thursday, .friday], start: 420, end: 660),
            TimeWindow(days: [.saturday], start: 480, end: 600, holidays: true),
        ])
        #expect(delivery.maxStaySeconds == 1800 && delivery.status == .suspended)
        // Midnight in Madrid on 1 January is 23:00 UTC the day before.
        #expect(delivery.validFrom == Date(timeIntervalSince1970: 1_767_222_000))
    }

    @Test func everyBadRowIsReportedWithItsLine() {
        let text = """
            id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder
            P1,1234 BCD,resident,casco-viejo,2026-01-01,,,,active,H1
            P2,!!,resident,casco-viejo,2026-01-01,,,,active,H2
            P3,1234 BCD,pilot,casco-viejo,2026-01-01,,,,active,H3
            P4,1234 BCD,resident,casco-viejo,yesterday,,,,active,H4
            P5,1234 BCD,resident,casco-viejo,2026-01-01,,mon 11:00-07:00,,active,H5
            P6,too,few
            """
        #expect {
            try PermitCSV.parse(text)
        } throws: { error in
            guard let error = error as? PermitCSV.ParseError else { return false }
            return error.problems.map(\.line) == [3, 4, 5, 6, 7]
        }
    }

    static let row = "P1,1234 BCD,resident,casco-viejo,2026-01-01,,,,active,H1"

    /// The lines and fields a refused file names, or nil when it was accepted.
    static func refusal(_ text: String) -> [String]? {
        do { _ = try PermitCSV.parse(text); return nil } catch {
            return error.problems.map { "\($0.line):\($0.field ?? "")" }
        }
    }

    @Test("a file with Windows (CRLF) line endings imports every row")
    func readsCRLF() throws {
        let text = PermitCSV.header + "\r\n" + Self.row + "\r\n" + Self.row.replacingOccurrences(of: "P1", with: "P2") + "\r\n"
        #expect(try PermitCSV.parse(text).map(\.id) == ["P1", "P2"])
    }

    @Test("a file with no permit rows is an error, not 0 imported")
    func refusesEmptyFile() {
        #expect(Self.refusal(PermitCSV.header + "\n") == ["1:"])
        #expect(Self.refusal("") == ["1:"])
    }

    @Test("an id given twice in one file is refused at its second line")
    func refusesDuplicateIDs() {
        #expect(Self.refusal([PermitCSV.header, Self.row, Self.row].joined(separator: "\n")) == ["3:id"])
    }

    @Test("a row whose id starts with '#' is refused, not skipped as a comment")
    func refusesHashID() {
        #expect(Self.refusal([Self.row, "#B6,1234 BCD,resident,casco-viejo,2026-01-01,,,,active,H1"].joined(separator: "\n")) == ["2:id"])
    }

    @Test("valid_until before valid_from, a plate with a foreign character, a 100 KB holder and bad days are refused with their field",
        arguments: [
            ("P1,1234 BCD,resident,casco-viejo,2026-06-01,2026-01-01,,,active,H1", "valid_until"),
            ("P1,ÑÑ1234BC,resident,casco-viejo,2026-01-01,,,,active,H1", "plate"),
            ("P1,1234 BCD,resident,casco-viejo,2026-01-01,,,,active," + String(repeating: "h", count: 100_000), "holder"),
            ("P1,1234 BCD,resident,casco-viejo,2026-01-01,,- 08:00-10:00,,active,H1", "windows"),
            ("P1,1234 BCD,resident,Casco Viejo,2026-01-01,,,,active,H1", "zones"),
            ("P1,1234 BCD,resident,casco-viejo,0,,,,active,H1", "valid_from"),
        ])
    func refusesBadField(row: String, field: String) {
        #expect(Self.refusal(row) == ["1:\(field)"])
    }
}

@Suite struct RetentionTests {
    @Test func authorisedPlatesAreForgottenViolationsKept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-retention-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: folder + "/central.sqlite")))
        let old: Int64 = 1_000
        let recent = Int64(Date().timeIntervalSince1970 * 1000)
        try store.store(events: [
            Event(seq: 1, atMilliseconds: old, kind: .authorised, plate: "1111BBB", confidence: 1, permitID: "P1"),
            Event(seq: 2, atMilliseconds: old, kind: .violation, plate: "2222CCC", confidence: 1),
            Event(seq: 3, atMilliseconds: old, kind: .review, plate: "3333DDD", confidence: 0.5),
            Event(seq: 4, atMilliseconds: recent, kind: .authorised, plate: "4444FFF", confidence: 1, permitID: "P4"),
            Event(seq: 5, atMilliseconds: old, kind: .exit, plate: "5555GGG", confidence: 1),
        ], from: "g")
        #expect(try store.forgetAuthorisedPlates(before: Date(timeIntervalSinceNow: -3600)) == 2)
        let plates = try store.eventPlates(gateID: "g")
        #expect(plates == [1: nil, 2: "2222CCC", 3: "3333DDD", 4: "4444FFF", 5: nil])
    }
}
