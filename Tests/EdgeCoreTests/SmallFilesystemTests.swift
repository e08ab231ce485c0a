import Domain
import EdgeCore
import Foundation
import GRDB
import Logging
import Testing
import TestSupport
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct SmallFilesystemTests {
    static let gate = Gate(id: "g", zone: "z", direction: .entry)
    static let resident = Permit(
        id: "R1", plate: PlateText("1234BCD")!, profile: .resident, zones: ["z"], validFrom: Date(timeIntervalSince1970: 0), seq: 1)

    static func controller(_ buffer: EventBuffer, heldCapacity: Int) -> GateController {
        let store = PermitStore(index: PermitIndex([resident]), seq: 1, gate: gate, holidays: HolidayCalendar())
        return GateController(permits: store, buffer: buffer, policy: .standard, logger: Logger(label: "test"), heldCapacity: heldCapacity)
    }

    enum Reply: Equatable { case stored, held, dropped }

    static func reply(_ controller: GateController, _ read: PlateRead) -> Reply {
        do {
            _ = try controller.handle(read)
            return .stored
        } catch let error as GateController.StorageError {
            return error.held ? .held : .dropped
        } catch {
            Issue.record("unexpected error \(error)")
            return .dropped
        }
    }

    static func violation(_ number: Int) -> PlateRead { PlateRead(text: String(format: "%04dXYZ", number), confidence: 0.99, at: Date()) }
    static func authorised() -> PlateRead { PlateRead(text: "1234BCD", confidence: 0.99, at: Date()) }
    static func review(_ number: Int) -> PlateRead { PlateRead(text: String(format: "%04dKLM", number), confidence: 0.3, at: Date()) }

    @Test("on a full filesystem violations and reviews are never dropped while authorised passages can go, every drop is counted by kind, and everything held is written when space returns")
    func fullFilesystemKeepsViolationsAndRecovers() throws {
        guard let filesystem = SmallFilesystem(bytes: 16 << 20) else {
            withKnownIssue("neither tmpfs nor a loop image could be mounted here") { throw ClusterlessSkip() }
            return
        }
        print("small filesystem: \(filesystem.kind.rawValue)")
        let path = filesystem.path + "/edge.sqlite"
        let buffer = try EventBuffer(path: path, capacity: 1_000_000, reserveBytes: 1 << 20)
        #expect(FileManager.default.fileExists(atPath: path + ".reserve"), "a reserve is set aside at start")
        let controller = Self.controller(buffer, heldCapacity: 100)
        filesystem.fill()

        // Until the disk refuses, decisions are stored (the reserve is released on the way).
        var number = 0
        while Self.reply(controller, Self.violation(number)) == .stored {
            number += 1
            if number > 200_000 { Issue.record("the disk never filled"); return }
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".reserve"), "the reserve was given to SQLite")
        var held = [String(format: "%04dXYZ", number)]
        var authorisedReplies: [Reply] = []
        // Then 40 violations, 20 reviews and 200 authorised passages: the memory budget is 100.
        for index in 1...260 {
            if index.isMultiple(of: 13) {
                authorisedReplies.append(Self.reply(controller, Self.authorised()))
            } else if index % 13 <= 2 {
                number += 1
                #expect(Self.reply(controller, Self.violation(number)) == .held)
                held.append(String(format: "%04dXYZ", number))
            } else if index % 13 == 3 {
                #expect(Self.reply(controller, Self.review(index)) == .held)
                held.append(String(format: "%04dKLM", index))
            } else {
                authorisedReplies.append(Self.reply(controller, Self.authorised()))
            }
        }
        let dropped = controller.dropped
        #expect(dropped.violation == 0 && dropped.review == 0)
        #expect(dropped.authorised > 0)
        #expect(Int64(authorisedReplies.count { $0 == .dropped }) <= dropped.authorised, "a reply that said dropped was counted")
        #expect(controller.storageProblem?.held == 100)
        let health = controller.health()
        #expect(health.dropped?.authorised == dropped.authorised)
        #expect(health.droppedAuthorised == dropped.authorised + dropped.exit)

        // More violations than the whole budget: the excess is dropped, said and counted.
        let displacedAuthorised = try #require(controller.storageProblem).held
        for _ in 0..<(displacedAuthorised + 5) {
            number += 1
            let answer = Self.reply(controller, Self.violation(number))
            if answer == .held { held.append(String(format: "%04dXYZ", number)) }
        }
        #expect(controller.dropped.violation > 0)
        #expect(held.count - 1 + Int(controller.dropped.violation) >= 60)

        // Space returns: held decisions are written, counts are persisted, and acknowledgements shrink the files.
        filesystem.free()
        try controller.storeHeld()
        #expect(controller.storageProblem == nil)
        let pending = try buffer.pending(limit: 1_000_000)
        #expect(Set(held).isSubset(of: Set(pending.compactMap(\.plate))), "every held violation and review reached the database")
        #expect(try buffer.storedDrops() == controller.dropped, "drop counts are in the database")
        try buffer.acknowledge(pending.map(\.seq))
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "the WAL is truncated after acknowledgements: \(wal) bytes")
        #expect(FileManager.default.fileExists(atPath: path + ".reserve"), "the reserve is back once space returned")
    }

    @Test("acknowledgements are recorded on a full disk, so the same batch is not re-sent forever")
    func acknowledgementsOnAFullDisk() throws {
        guard let filesystem = SmallFilesystem(bytes: 16 << 20) else {
            withKnownIssue("neither tmpfs nor a loop image could be mounted here") { throw ClusterlessSkip() }
            return
        }
        let path = filesystem.path + "/edge.sqlite"
        let buffer = try EventBuffer(path: path, capacity: 1_000_000, reserveBytes: 1 << 20)
        let controller = Self.controller(buffer, heldCapacity: 100)
        for number in 0..<500 { _ = try controller.handle(Self.violation(number)) }
        filesystem.fill()
        // Decisions fill what is left, reserve included, until the disk refuses them.
        var number = 500
        while Self.reply(controller, Self.violation(number)) == .stored { number += 1 }
        let pending = try buffer.pending(limit: 256)
        try buffer.acknowledge(pending.map(\.seq))
        #expect(try buffer.pending(limit: 1).first?.seq != pending.first?.seq)
    }
}

extension SmallFilesystemTests {
    @Test("bollardctl's inject reply says truthfully whether a decision was held or dropped, and status lists the drops by kind")
    func repliesAndStatusTellTheTruth() throws {
        guard let filesystem = SmallFilesystem(bytes: 16 << 20) else {
            withKnownIssue("neither tmpfs nor a loop image could be mounted here") { throw ClusterlessSkip() }
            return
        }
        let buffer = try EventBuffer(path: filesystem.path + "/edge.sqlite", capacity: 1_000, reserveBytes: 1 << 20)
        let controller = Self.controller(buffer, heldCapacity: 1)
        let sync = SyncClient(
            endpoint: "tcp://127.0.0.1:1", credentials: .init(publicKey: "", secretKey: "", centralPublicKey: ""), controller: controller,
            heartbeatInterval: 1, gateID: "g", logger: Logger(label: "test"))
        var configuration = EdgeConfiguration()
        configuration.allowInjection = true
        let handler = DiagnosticsHandler(configuration: configuration, controller: controller, sync: sync, logger: Logger(label: "test"))
        func inject(_ plate: String) throws -> DiagnosticsReply {
            let line = String(decoding: WireCodec.encode(DiagnosticsRequest.inject(plate: plate, confidence: 0.99)), as: UTF8.self)
            return try JSONDecoder().decode(DiagnosticsReply.self, from: Data(handler.answer(line).utf8))
        }
        filesystem.fill()
        var number = 0
        while Self.reply(controller, Self.violation(number)) == .stored { number += 1 }
        // Memory holds one violation: the next authorised passage has nowhere to go.
        let dropped = try inject("1234BCD")
        #expect(!dropped.ok && dropped.decision == .authorised)
        #expect(dropped.error?.contains("DROPPED") == true, "\(dropped.error ?? "")")
        // A violation takes the place of nothing (memory holds a violation): it is dropped too, and said.
        let violation = try inject("7777XYZ")
        #expect(violation.error?.contains("DROPPED") == true)
        let problems = handler.status().problems
        #expect(problems.contains { $0.contains("1 violations and 0 reviews DROPPED") }, "\(problems)")
        #expect(problems.contains { $0.contains("1 authorised passages and 0 exits dropped") }, "\(problems)")
        #expect(handler.status().health.dropped == .init(authorised: 1, exit: 0, violation: 1, review: 0))

        filesystem.free()
        try controller.storeHeld()
        let held = try inject("8888XYZ")
        #expect(held.ok && held.eventSeq != nil)
        #expect(try buffer.storedDrops() == .init(authorised: 1, exit: 0, violation: 1, review: 0), "counts reach the database once it takes writes")
    }
}

struct ClusterlessSkip: Error {}
