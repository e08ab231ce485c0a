import BollardSupport
import Domain
import EdgeCore
import Foundation
import GRDB
import Logging
import Testing
import WireProtocol

@Suite struct EventBufferTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-buffer-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func open(capacity: Int = 100) throws -> EventBuffer {
        try EventBuffer(path: folder + "/edge.sqlite", capacity: capacity)
    }

    static func read(_ plate: String = "1234BCD") -> PlateRead { PlateRead(text: plate, confidence: 0.97, at: Date()) }

    @Test func appendAssignsIncreasingSequencesThatSurviveReopening() throws {
        do {
            let buffer = try open()
            #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 1)
            #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 2)
            try buffer.acknowledge([1, 2])
        }
        // Acknowledged rows are gone, but their sequences are never reused.
        let reopened = try open()
        #expect(try reopened.depth().count == 0)
        #expect(try reopened.append(read: Self.read(), decision: .exitRecorded).seq == 3)
    }

    @Test func pendingReturnsOldestFirstAndAcknowledgeRemoves() throws {
        let buffer = try open()
        for _ in 0..<5 { _ = try buffer.append(read: Self.read(), decision: .notAuthorised(permitID: nil, validity: nil)) }
        let pending = try buffer.pending(limit: 3)
        #expect(pending.map(\.seq) == [1, 2, 3])
        #expect(pending.allSatisfy { $0.kind == .violation && $0.plate == "1234BCD" })
        try buffer.acknowledge([1, 3])
        #expect(try buffer.pending(limit: 10).map(\.seq) == [2, 4, 5])
    }

    @Test func fullBufferDropsAuthorisedPassagesFirstAndNeverViolations() throws {
        let buffer = try open(capacity: 10)
        for index in 0..<10 {
            let decision: Decision = index.isMultiple(of: 2) ? .authorised(permitID: "P\(index)") : .needsReview(.lowConfidence(confidence: 0.4))
            _ = try buffer.append(read: Self.read(), decision: decision)
        }
        // Ten more violations: the five authorised go, then the buffer grows rather than lose a violation.
        for _ in 0..<10 { _ = try buffer.append(read: Self.read(), decision: .notAuthorised(permitID: nil, validity: nil)) }
        let kept = try buffer.pending(limit: 100)
        #expect(kept.count == 15)
        #expect(kept.allSatisfy { $0.kind != .authorised })
        #expect(try buffer.depth().droppedAuthorised == 5)
    }

    @Test("a new database has an origin of its own, kept when reopened; a wiped one gets another")
    func originIsTheDatabaseIdentity() throws {
        let first = try open().origin
        #expect(first.count == 36 && Event.problem(inOrigin: first) == nil)
        #expect(try open().origin == first)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: folder + "/edge.sqlite" + suffix) }
        #expect(try open().origin != first)
    }

    @Test("a database that numbered events before origins existed keeps origin \"\", the identity central knows its events by")
    func numberedDatabaseKeepsEmptyOrigin() throws {
        try DatabaseQueue(path: folder + "/edge.sqlite").write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1');
                CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, plate TEXT,
                    confidence REAL NOT NULL, permit_id TEXT, reason TEXT, candidates TEXT, created_ms INTEGER NOT NULL);
                CREATE INDEX events_droppable ON events(kind, seq);
                CREATE TABLE permits (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL);
                CREATE TABLE snapshot_staging (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL);
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT INTO events (at_ms, kind, plate, confidence, created_ms) VALUES (1, 'violation', '1234BCD', 0.9, 1);
                INSERT INTO meta VALUES ('dropped_authorised', '7');
                """)
            // A permit as v1 wrote it: Foundation's JSONEncoder, by hand.
            let json = String(decoding: try JSONEncoder().encode(Self.permit("OLD", seq: 3)), as: UTF8.self)
            try db.execute(sql: "INSERT INTO permits (id, seq, json) VALUES ('OLD', 3, ?)", arguments: [json])
        }
        let buffer = try open()
        #expect(buffer.origin == "")
        #expect(try buffer.pending(limit: 10).map(\.plate) == ["1234BCD"])
        #expect(buffer.dropCounts.authorised == 7)
        #expect(try buffer.loadPermits().permits == [Self.permit("OLD", seq: 3)])
        #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 2)
    }

    @Test("after welcome's last_event_seq, the next event is numbered past it, and never moved back")
    func sequenceMovesPastCentral() throws {
        let buffer = try open()
        #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 1)
        #expect(try buffer.moveSequence(past: 40))
        #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 41)
        #expect(try !buffer.moveSequence(past: 10))
        #expect(try buffer.append(read: Self.read(), decision: .exitRecorded).seq == 42)
        // A brand-new database told by central that it holds events: the first one is past them too.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: folder + "/edge.sqlite" + suffix) }
        let fresh = try open()
        #expect(try fresh.moveSequence(past: 7))
        #expect(try fresh.append(read: Self.read(), decision: .exitRecorded).seq == 8)
    }

    @Test("a full buffer counts what it drops by kind, in the database")
    func fullBufferCountsDropsByKind() throws {
        let buffer = try open(capacity: 10)
        for index in 0..<10 {
            _ = try buffer.append(read: Self.read(), decision: index < 3 ? .exitRecorded : .authorised(permitID: "P"))
        }
        for _ in 0..<5 { _ = try buffer.append(read: Self.read(), decision: .notAuthorised(permitID: nil, validity: nil)) }
        #expect(try buffer.storedDrops() == .init(authorised: 2, exit: 3, violation: 0, review: 0))
        #expect(try open(capacity: 10).dropCounts == .init(authorised: 2, exit: 3))
    }

    @Test func reviewReasonsAndCandidatesAreStored() throws {
        let buffer = try open()
        _ = try buffer.append(read: Self.read("1234BCO"), decision: .needsReview(.confusionMatch(permitIDs: ["P1", "P2"])))
        let event = try #require(try buffer.pending(limit: 1).first)
        #expect(event.kind == .review && event.reason == "confusion_match" && event.candidates == ["P1", "P2"])
    }

    static func permit(_ id: String, seq: Int64, status: PermitStatus = .active) -> Permit {
        Permit(id: id, plate: PlateText("1234BCD")!, profile: .resident, zones: ["z"], validFrom: Date(timeIntervalSince1970: 0), status: status, seq: seq)
    }

    @Test func changesApplyAtomicallyAndOlderVersionsAreIgnored() throws {
        let buffer = try open()
        try buffer.apply(changes: [Self.permit("A", seq: 1), Self.permit("B", seq: 2), Self.permit("A", seq: 3, status: .revoked)], heldSeq: 3)
        // A re-delivered older change must not roll A back.
        try buffer.apply(changes: [Self.permit("A", seq: 1)], heldSeq: 3)
        let stored = try buffer.loadPermits()
        #expect(stored.seq == 3)
        #expect(Dictionary(uniqueKeysWithValues: stored.permits.map { ($0.id, $0.status) }) == ["A": .revoked, "B": .active])
    }

    @Test func snapshotReplacesTheWholeSet() throws {
        let buffer = try open()
        try buffer.apply(changes: [Self.permit("OLD", seq: 1)], heldSeq: 1)
        try buffer.beginSnapshot()
        try buffer.stage(snapshotPage: [Self.permit("N1", seq: 5)])
        try buffer.stage(snapshotPage: [Self.permit("N2", seq: 9)])
        // Until committed, the old set stands.
        #expect(try buffer.loadPermits().permits.map(\.id) == ["OLD"])
        try buffer.commitSnapshot(baseSeq: 9)
        let stored = try buffer.loadPermits()
        #expect(Set(stored.permits.map(\.id)) == ["N1", "N2"])
        #expect(stored.seq == 9)
    }
}

/// The gate's database on an in-memory SQLite: no files, the same code.
@Suite struct InMemoryGateDatabaseTests {
    static func open() throws -> EventBuffer { try EventBuffer(writer: DatabaseQueue(), capacity: 100) }

    @Test("events append, page and acknowledge on an in-memory writer")
    func eventsInMemory() throws {
        let buffer = try Self.open()
        for plate in ["1111BCD", "2222BCD", "3333BCD"] {
            _ = try buffer.append(read: EventBufferTests.read(plate), decision: .needsReview(.confusionMatch(permitIDs: ["A", "B"])))
        }
        let pending = try buffer.pending(limit: 2)
        #expect(pending.map(\.seq) == [1, 2])
        #expect(pending[0].candidates == ["A", "B"] && pending[0].reason == "confusion_match" && pending[0].plate == "1111BCD")
        try buffer.acknowledge([1, 2])
        #expect(try buffer.pending(limit: 10).map(\.plate) == ["3333BCD"])
        #expect(buffer.count == 1)
        #expect(!buffer.origin.isEmpty)
    }

    @Test("a permit change reaches SQLite and the index in one call, and an older change touches neither")
    func permitChangeInOneStep() throws {
        let buffer = try Self.open()
        let store = try PermitStore(loadingFrom: buffer, gate: Gate(id: "g", zone: "z", direction: .entry), holidays: HolidayCalendar())
        try store.commit(changes: [EventBufferTests.permit("A", seq: 1), EventBufferTests.permit("A", seq: 2, status: .revoked)], heldSeq: 2)
        #expect(store.seq == 2 && store.snapshot.index.permit(id: "A")?.status == .revoked)
        #expect(try buffer.loadPermits().permits.map(\.status) == [.revoked] && buffer.loadPermits().seq == 2)
        try store.commit(changes: [EventBufferTests.permit("A", seq: 1)], heldSeq: 2)
        #expect(store.snapshot.index.permit(id: "A")?.status == .revoked)
        #expect(try buffer.loadPermits().permits.map(\.status) == [.revoked])
        // A reopened store sees what the index saw.
        let reloaded = try PermitStore(loadingFrom: buffer, gate: Gate(id: "g", zone: "z", direction: .entry), holidays: HolidayCalendar())
        #expect(reloaded.seq == 2 && reloaded.snapshot.index.count == 1)
    }

    @Test("a snapshot installs in SQLite and the index in one call")
    func snapshotInOneStep() throws {
        let buffer = try Self.open()
        let store = try PermitStore(loadingFrom: buffer, gate: Gate(id: "g", zone: "z", direction: .entry), holidays: HolidayCalendar())
        try store.commit(changes: [EventBufferTests.permit("OLD", seq: 1)], heldSeq: 1)
        try buffer.beginSnapshot()
        try buffer.stage(snapshotPage: [EventBufferTests.permit("N1", seq: 4), EventBufferTests.permit("N2", seq: 5)])
        #expect(try store.commitSnapshot(baseSeq: 5) == 2)
        #expect(store.seq == 5 && store.snapshot.index.permit(id: "OLD") == nil && store.snapshot.index.permit(id: "N2") != nil)
        #expect(Set(try buffer.loadPermits().permits.map(\.id)) == ["N1", "N2"])
    }
}

@Suite struct EdgeConfigurationTests {
    @Test func fileThenOverrides() throws {
        var configuration = EdgeConfiguration()
        try configuration.apply(fileText: """
            # a gate
            gate_id = gate-12
            direction = exit   # leaving the zone
            buffer_capacity = 500
            """, name: "edge.conf")
        #expect(configuration.gateID == "gate-12")
        #expect(configuration.direction == .exit)
        #expect(configuration.bufferCapacity == 500)
    }

    @Test(arguments: [
        ("colour = blue", "edge.conf:1: unknown key 'colour' (value 'blue'); 'bollard-edge config keys' lists every key"),
        ("direction = sideways", "edge.conf:1: direction = 'sideways' is not allowed; allowed: one of entry, exit"),
        ("\nbuffer_capacity = lots", "edge.conf:2: buffer_capacity = 'lots' is not allowed; allowed: an integer in 10...100000000"),
        ("just words", "edge.conf:1: expected 'key = value', got 'just words'"),
        ("central_endpoint = tcp://central", "edge.conf:1: central_endpoint = 'tcp://central' is not allowed; allowed: tcp://HOST:PORT or ipc://PATH (no port: write tcp://HOST:PORT)"),
    ])
    func badFilesNameTheLineAndKey(_ text: String, _ message: String) {
        var configuration = EdgeConfiguration()
        #expect {
            try configuration.apply(fileText: text, name: "edge.conf")
        } throws: { error in
            (error as? EdgeConfiguration.Invalid)?.description == message
        }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The checked-in example is what the key table generates: a key added, renamed or
    /// given a new default without `bollard-edge config example > systemd/edge.conf.example` fails here.
    @Test func exampleFileIsGeneratedFromTheKeys() throws {
        let path = Self.repository.appendingPathComponent("systemd/edge.conf.example").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == EdgeConfiguration.example, "regenerate it: bollard-edge config example > systemd/edge.conf.example")
    }

    /// Every key is documented once, and the example's values, uncommented, are a valid configuration.
    @Test func exampleDocumentsEveryKeyOnceAndReadsBack() throws {
        let keyLines = EdgeConfiguration.example.split(separator: "\n").filter { $0.wholeMatch(of: /# [a-z][a-z0-9_]* = .*/) != nil }
        let keys = keyLines.map { String($0.dropFirst(2).prefix { $0 != " " }) }
        #expect(keys == EdgeConfiguration.keys)
        #expect(Set(keys).count == keys.count)
        let loaded = try EdgeConfiguration.reader.read(fileText: keyLines.map { String($0.dropFirst(2)) }.joined(separator: "\n"), fileName: "example")
        #expect(loaded.origins.count == keys.count)
    }

    @Test func gateIDIsRequired() {
        #expect {
            try EdgeConfiguration.reader.read(fileText: "zone = casco-viejo\n", fileName: "edge.conf")
        } throws: { error in
            (error as? ConfigurationError)?.problems.map(\.kind) == [.missingKey]
        }
    }
}

@Suite struct SyntheticReadSourceTests {
    @Test func sameSeedSameStreamWithAllThreeKinds() {
        let source = SyntheticReadSource(readsPerMinute: 60, fleetSize: 100, seed: 42)
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        let a = (0..<300).map { _ in source.next(&first) }
        let b = (0..<300).map { _ in source.next(&second) }
        #expect(a.map(\.text) == b.map(\.text))
        let fleet = Set((0..<100).map(DemoFleet.plate))
        #expect(a.contains { fleet.contains($0.text) })
        #expect(a.contains { !fleet.contains($0.text) && $0.confidence >= 0.9 })
        #expect(a.contains { $0.confidence < 0.9 })
    }
}

@Suite struct FullDiskTests {
    /// A buffer capped at 64 KiB fills like a full disk: decisions are held
    /// in memory, reported, and written in order once space returns.
    @Test func decisionsSurviveAFullDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-full-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let buffer = try EventBuffer(path: folder + "/edge.sqlite", capacity: 1_000_000, maxBytes: 64 * 1024)
        let gate = Gate(id: "g", zone: "z", direction: .entry)
        let store = PermitStore(index: PermitIndex(), seq: 0, gate: gate, holidays: HolidayCalendar())
        let controller = GateController(permits: store, buffer: buffer, policy: .standard, logger: .init(label: "test"))

        var stored = 0
        var refused = 0
        for number in 0..<5_000 where refused < 3 {
            do {
                _ = try controller.handle(PlateRead(text: String(format: "%04dBCD", number), confidence: 0.99, at: Date()))
                stored += 1
            } catch let error as GateController.StorageError {
                #expect(error.decision.kind == .violation)
                refused += 1
            }
        }
        #expect(refused == 3 && stored > 100)
        #expect(controller.storageProblem?.held == 3)

        // Central acknowledges everything: space returns, the held decisions go in first, in order.
        try buffer.acknowledge(try buffer.pending(limit: 100_000).map(\.seq))
        let next = try controller.handle(PlateRead(text: "9999BCD", confidence: 0.99, at: Date()))
        #expect(controller.storageProblem == nil)
        let pending = try buffer.pending(limit: 10)
        #expect(pending.count == 4)
        #expect(pending.last?.seq == next.seq)
        #expect(pending.map(\.plate) == [String(format: "%04dBCD", stored), String(format: "%04dBCD", stored + 1), String(format: "%04dBCD", stored + 2), "9999BCD"])
    }
}
