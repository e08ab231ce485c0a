import Domain
import Foundation
import GRDB
import WireProtocol

// Violations and reviews as the control centre works them: lists with paging
// and filters, one case's detail, and the review actions (each audited).

/// A violation or review in a list.
public struct CaseSummary: Codable, Sendable, Equatable {
    public var id: CaseID
    public var gateID: String
    public var kind: String
    public var atMilliseconds: Int64
    public var plate: String?
    public var confidence: Double
    public var permitID: String?
    public var reason: String?
    public var candidates: [String]
    public var state: CaseState
    /// Where the read came from (`camera`, `video`, `replay`, `generator`, `injected`), or `unknown`
    /// for a gate that does not say; only camera and video reads can become fines.
    public var source: ReadSource
    /// The recogniser's confidence in each character of `plate`, when the gate read it per character.
    public var characterConfidences: [Double]?

    /// Whether confirming this case can make it a fine (its read came from a camera or a video).
    public var mayBecomeFine: Bool { source.mayBecomeFine }

    enum CodingKeys: String, CodingKey {
        case id, kind, plate, confidence, reason, candidates, state, source
        case characterConfidences = "char_confidences"
        case gateID = "gate_id"
        case atMilliseconds = "at_ms"
        case permitID = "permit_id"
    }
}

/// One review action as recorded: who, when, what, and what came of it.
public struct CaseAction: Codable, Sendable, Equatable {
    public var action: String
    public var plate: String?
    public var reason: String?
    public var outcome: String?
    public var actor: String
    public var role: String
    public var atMilliseconds: Int64

    enum CodingKeys: String, CodingKey {
        case action, plate, reason, outcome, actor, role
        case atMilliseconds = "at_ms"
    }
}

/// An image kept with an event (frame or crop), when the evidence store has it.
public struct CaseImage: Codable, Sendable, Equatable {
    public var role: String
    public var sha256: String?
    public var bytes: Int?
    public var url: String
}

/// Everything the review page and `GET /api/v1/violations/{id}` show.
public struct CaseDetail: Codable, Sendable, Equatable {
    public var summary: CaseSummary
    public var gate: Gate?
    /// The permit the gate found (violations), as it is now.
    public var permit: Permit?
    /// The permits a confusion match points at (reviews).
    public var candidatePermits: [Permit]
    public var actions: [CaseAction]
    public var images: [CaseImage]

    enum CodingKeys: String, CodingKey {
        case summary = "event", gate, permit, actions, images
        case candidatePermits = "candidate_permits"
    }
}

/// The filters and page of a case list.
public struct CaseQuery: Sendable {
    public var kind: DecisionKind
    public var day: LocalDate?
    public var gateID: String?
    public var state: CaseState?
    public var cursor: String?
    public var limit: Int

    public static let largestPage = 200

    public init(kind: DecisionKind, day: LocalDate? = nil, gateID: String? = nil, state: CaseState? = nil, cursor: String? = nil, limit: Int = 50) {
        self.kind = kind
        self.day = day
        self.gateID = gateID
        self.state = state
        self.cursor = cursor
        self.limit = min(max(1, limit), Self.largestPage)
    }
}

/// A page of cases, newest first; `nextCursor` continues it.
public struct CasePage: Codable, Sendable, Equatable {
    public var items: [CaseSummary]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }
}

/// Why a review action was refused; nothing changed.
public enum CaseActionError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(CaseID)
    /// Only violations and reviews are cases.
    case notACase(CaseID)
    case alreadyDecided(CaseID, CaseState)
    /// An escalated case waits for a supervisor.
    case needsSupervisor(CaseID)
    case invalidPlate(String)
    /// An unreadable read can only be confirmed with the plate a person read.
    case plateNeeded(CaseID)
    case reasonNeeded
    case reasonTooLong
    /// The read did not come from a camera (injected, generated, replayed, or unknown): it can never become a fine.
    case notFineable(CaseID, ReadSource)

    public var description: String {
        switch self {
        case .notFound(let id): "no event \(id)"
        case .notACase(let id): "event \(id) is neither a violation nor a review"
        case .alreadyDecided(let id, let state): "\(id) is already \(state.rawValue)"
        case .needsSupervisor(let id): "\(id) was escalated: a supervisor decides it"
        case .invalidPlate: "the corrected plate must be 2-10 letters and digits"
        case .plateNeeded(let id): "\(id) has no readable plate: confirm it with the plate you read"
        case .reasonNeeded: "a reason is required"
        case .reasonTooLong: "a reason holds at most 500 characters"
        case .notFineable(let id, let source):
            "\(id) cannot become a fine: its read " + Self.origin(of: source) + "; only camera and video reads can be confirmed. Dismiss it with a reason."
        }
    }

    /// Where a read came from, in words.
    public static func origin(of source: ReadSource) -> String {
        switch source {
        case .injected: "was injected by a technician (bollardctl inject)"
        case .generator: "was made up by the demo generator"
        case .replay: "was replayed from a file"
        case .unknown: "came from a gate that does not say where its reads come from (protocol revision 4 or older)"
        case .camera, .video: "came from a camera"
        }
    }
}

/// What an operator or supervisor does to a case.
public enum CaseCommand: Sendable, Equatable {
    /// Confirm; with a corrected plate, the passage is decided again against the permits valid then.
    case confirm(correctedPlate: String?)
    case dismiss(reason: String)
    case escalate(reason: String)

    var name: String {
        switch self {
        case .confirm: "confirm"
        case .dismiss: "dismiss"
        case .escalate: "escalate"
        }
    }
}

extension CentralStore {
    private static let caseColumns = """
        e.gate_id, e.origin, e.seq, e.at_ms, e.kind, e.plate, e.confidence, e.permit_id, e.reason, e.candidates, e.source, e.chars,
        coalesce(c.state, 'open') AS state
        """

    private static func caseSummary(_ row: StoreRow) -> CaseSummary {
        let id = CaseID(gateID: row["gate_id"], origin: row["origin"], seq: row["seq"])
        let candidates = (row["candidates"] as String?).map { $0.split(separator: ",").map(String.init) } ?? []
        return CaseSummary(
            id: id, gateID: id.gateID, kind: row["kind"], atMilliseconds: row["at_ms"], plate: row["plate"], confidence: row["confidence"],
            permitID: row["permit_id"], reason: row["reason"], candidates: candidates, state: CaseState(rawValue: row["state"]) ?? .open,
            source: ReadSource(wire: row["source"]),
            characterConfidences: (row["chars"] as String?).map { $0.split(separator: ",").compactMap { Double($0) } })
    }

    /// Milliseconds bounding a Madrid calendar day.
    static func dayRange(_ day: LocalDate) -> (start: Int64, end: Int64)? {
        // Midnight is never in a daylight-saving gap in Madrid (the change is at 02:00 or 03:00).
        guard let start = MadridTime.instant(day, hour: 0, minute: 0),
            let end = MadridTime.instant(MadridTime.local(start.addingTimeInterval(36 * 3600)).date, hour: 0, minute: 0)
        else { return nil }
        return (Int64(start.timeIntervalSince1970 * 1000), Int64(end.timeIntervalSince1970 * 1000))
    }

    /// A page of violations or reviews, newest first. A cursor that does not parse starts from the newest.
    public func cases(_ query: CaseQuery) throws -> CasePage {
        var conditions = ["e.kind = ?"]
        var arguments: [(any StoreValueConvertible)?] = [query.kind.rawValue]
        if let gate = query.gateID {
            conditions.append("e.gate_id = ?")
            arguments.append(gate)
        }
        if let day = query.day, let range = Self.dayRange(day) {
            conditions.append("e.at_ms >= ? AND e.at_ms < ?")
            arguments += [range.start, range.end]
        }
        if let state = query.state {
            conditions.append("coalesce(c.state, 'open') = ?")
            arguments.append(state.rawValue)
        }
        if let cursor = query.cursor.flatMap(Self.decodeCursor) {
            conditions.append("e.at_ms <= ? AND (e.at_ms, e.gate_id, e.origin, e.seq) < (?, ?, ?, ?)")
            arguments += [cursor.at, cursor.at, cursor.id.gateID, cursor.id.origin, cursor.id.seq]
        }
        arguments.append(query.limit + 1)
        let sql = """
            SELECT \(Self.caseColumns) FROM events e
            LEFT JOIN case_states c ON c.gate_id = e.gate_id AND c.origin = e.origin AND c.seq = e.seq
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY e.at_ms DESC, e.gate_id DESC, e.origin DESC, e.seq DESC LIMIT ?
            """
        return try database.read { db in
            var items = try StoreRow.fetchAll(db, sql: sql, arguments: StoreArguments(arguments)).map(Self.caseSummary)
            var next: String?
            if items.count > query.limit {
                items.removeLast()
                next = items.last.map { Self.encodeCursor(at: $0.atMilliseconds, id: $0.id) }
            }
            return CasePage(items: items, nextCursor: next)
        }
    }

    static func encodeCursor(at: Int64, id: CaseID) -> String {
        AccessToken.base64URL(Data("\(at)~\(id)".utf8))
    }

    static func decodeCursor(_ text: String) -> (at: Int64, id: CaseID)? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard text.utf8.count < 400, let data = Data(base64Encoded: base64) else { return nil }
        let decoded = String(decoding: data, as: UTF8.self)
        guard let split = decoded.firstIndex(of: "~"), let at = Int64(decoded[..<split]),
            let id = CaseID(String(decoded[decoded.index(after: split)...]))
        else { return nil }
        return (at, id)
    }

    /// Violations and reviews waiting for a person (open or escalated).
    public func waitingCaseCount() throws -> Int {
        try database.read { db in
            // Every violation and review waits until a person decides it; case_states holds
            // only the cases somebody acted on, so the decided ones are subtracted from the tally.
            try Int.fetchOne(db, sql: """
                SELECT (SELECT coalesce(sum(n), 0) FROM event_tallies WHERE kind IN ('violation', 'review'))
                     - (SELECT count(*) FROM case_states WHERE state NOT IN ('open', 'escalated'))
                """) ?? 0
        }
    }

    /// Passages, violations and reviews per hour of a Madrid day (24 buckets; the 25th hour
    /// of the autumn change counts in the last).
    public func hourlyCounts(day: LocalDate) throws -> [(passages: Int, violations: Int, reviews: Int)] {
        guard let range = Self.dayRange(day) else { return [] }
        var buckets = Array(repeating: (passages: 0, violations: 0, reviews: 0), count: 24)
        try database.read { db in
            let rows = try StoreRow.fetchCursor(
                db, sql: "SELECT hour, kind, n FROM event_tallies WHERE hour >= ? AND hour < ?",
                arguments: [Self.tallyHour(range.start), Self.tallyHour(range.end)])
            while let row = try rows.next() {
                let hour = min(23, max(0, Int((row["hour"] as Int64) - Self.tallyHour(range.start))))
                let n: Int = row["n"]
                buckets[hour].passages += n
                switch row["kind"] as String {
                case DecisionKind.violation.rawValue: buckets[hour].violations += n
                case DecisionKind.review.rawValue: buckets[hour].reviews += n
                default: break
                }
            }
        }
        return buckets
    }

    /// One case with everything a reviewer needs; nil if no such event.
    public func caseDetail(_ id: CaseID) throws -> CaseDetail? {
        try database.read { db in try Self.caseDetail(id, db) }
    }

    static func caseDetail(_ id: CaseID, _ db: any StoreConnection) throws -> CaseDetail? {
        guard let row = try StoreRow.fetchOne(
            db, sql: """
                SELECT \(caseColumns) FROM events e
                LEFT JOIN case_states c ON c.gate_id = e.gate_id AND c.origin = e.origin AND c.seq = e.seq
                WHERE e.gate_id = ? AND e.origin = ? AND e.seq = ?
                """, arguments: [id.gateID, id.origin, id.seq])
        else { return nil }
        let summary = caseSummary(row)
        let decoder = JSONDecoder()
        func permit(_ permitID: String) throws -> Permit? {
            try String.fetchOne(db, sql: "SELECT json FROM permits WHERE id = ?", arguments: [permitID])
                .flatMap { try? decoder.decode(Permit.self, from: Data($0.utf8)) }
        }
        let gate = try StoreRow.fetchOne(db, sql: "SELECT id, zone, direction FROM gates WHERE id = ?", arguments: [id.gateID]).map {
            Gate(id: $0["id"], zone: $0["zone"], direction: Direction(rawValue: $0["direction"]) ?? .entry)
        }
        let actions = try StoreRow.fetchAll(
            db, sql: "SELECT * FROM case_actions WHERE gate_id = ? AND origin = ? AND seq = ? ORDER BY id",
            arguments: [id.gateID, id.origin, id.seq]
        ).map {
            CaseAction(
                action: $0["action"], plate: $0["plate"], reason: $0["reason"], outcome: $0["outcome"], actor: $0["actor"], role: $0["role"],
                atMilliseconds: $0["at_ms"])
        }
        return CaseDetail(
            summary: summary, gate: gate, permit: try summary.permitID.flatMap(permit),
            candidatePermits: try summary.candidates.compactMap(permit), actions: actions, images: try imageReferences(id, db))
    }

    // MARK: Images

    /// The images table the evidence store adds (`event_images`), if this database has it.
    static func hasImageTable(_ db: any StoreConnection) throws -> Bool {
        try db.tableExists("event_images")
    }

    static func imageReferences(_ id: CaseID, _ db: any StoreConnection) throws -> [CaseImage] {
        guard try hasImageTable(db) else { return [] }
        let rows = (try? StoreRow.fetchAll(
            db, sql: "SELECT role FROM event_images WHERE gate_id = ? AND origin = ? AND seq = ? ORDER BY role",
            arguments: [id.gateID, id.origin, id.seq])) ?? []
        return rows.map { row in
            let role: String = row["role"]
            return CaseImage(role: role, sha256: nil, bytes: nil, url: "/api/v1/events/\(id)/images/\(role)")
        }
    }

    /// An event image's JPEG bytes, or nil when there is no such image (or no image store yet).
    public func image(_ id: CaseID, role: String) throws -> Data? {
        try database.read { db in
            guard try Self.hasImageTable(db) else { return nil }
            return try? Data.fetchOne(
                db, sql: "SELECT data FROM event_images WHERE gate_id = ? AND origin = ? AND seq = ? AND role = ?",
                arguments: [id.gateID, id.origin, id.seq, role])
        }
    }

    // MARK: Review actions

    /// Applies a review action and writes it and its audit entry in one transaction;
    /// returns the case as it now stands. A refused action changes nothing.
    public func act(_ command: CaseCommand, on id: CaseID, by actor: Actor) throws -> CaseDetail {
        try database.write { db in
            guard let detail = try Self.caseDetail(id, db) else { throw CaseActionError.notFound(id) }
            let summary = detail.summary
            guard summary.kind == DecisionKind.violation.rawValue || summary.kind == DecisionKind.review.rawValue else {
                throw CaseActionError.notACase(id)
            }
            switch summary.state {
            case .confirmed, .dismissed: throw CaseActionError.alreadyDecided(id, summary.state)
            case .escalated:
                guard actor.role.may(.resolveEscalated) else { throw CaseActionError.needsSupervisor(id) }
                if case .escalate = command { throw CaseActionError.alreadyDecided(id, .escalated) }
            case .open: break
            }
            var state: CaseState
            var plate: String?
            var reason: String?
            var outcome: String?
            switch command {
            case .confirm(let corrected):
                // An injected, generated or replayed read is nobody's offence: refused before anything is recorded.
                guard summary.mayBecomeFine else { throw CaseActionError.notFineable(id, summary.source) }
                if let corrected {
                    guard let text = PlateText(corrected) else { throw CaseActionError.invalidPlate(corrected) }
                    plate = text.normalized
                }
                if plate != nil || summary.kind == DecisionKind.review.rawValue {
                    // A review confirmed as read, or any corrected plate: decide the passage again.
                    guard let read = plate ?? summary.plate else { throw CaseActionError.plateNeeded(id) }
                    let decision = try Self.redecide(plate: read, at: summary.atMilliseconds, gate: detail.gate, db)
                    switch decision {
                    case .notAuthorised(let permitID, let validity):
                        state = .confirmed
                        outcome = "violation" + (permitID.map { " (permit \($0): \(validity?.rawValue ?? "not valid"))" } ?? " (no permit)")
                    case .authorised(let permitID):
                        state = .dismissed
                        outcome = "authorised by permit \(permitID)"
                    case .exitRecorded:
                        state = .dismissed
                        outcome = "exit"
                    case .needsReview(let why):
                        state = .confirmed
                        outcome = "violation (\(why.code))"
                    }
                } else {
                    state = .confirmed
                    outcome = "violation"
                }
            case .dismiss(let why), .escalate(let why):
                let trimmed = why.trimmingCharacters(in: .whitespacesAndNewlines)
                if case .dismiss = command, trimmed.isEmpty { throw CaseActionError.reasonNeeded }
                guard trimmed.count <= 500 else { throw CaseActionError.reasonTooLong }
                reason = trimmed.isEmpty ? nil : trimmed
                if case .dismiss = command { state = .dismissed } else { state = .escalated }
            }
            let now = Self.nowMilliseconds()
            try db.execute(
                sql: """
                    INSERT INTO case_states (gate_id, origin, seq, state, updated_ms) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (gate_id, origin, seq) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms
                    """,
                arguments: [id.gateID, id.origin, id.seq, state.rawValue, now])
            try db.execute(
                sql: """
                    INSERT INTO case_actions (gate_id, origin, seq, action, plate, reason, outcome, actor, role, at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id.gateID, id.origin, id.seq, command.name, plate, reason, outcome, actor.name, actor.role.rawValue, now])
            try AuditLog.append(db, actor: actor, action: "case.\(command.name)", subject: id.description, reason: reason ?? outcome ?? "")
            let decided = try Self.caseDetail(id, db)!
            if state == .confirmed {
                // The city's systems hear of a fine to issue from the outbox, committed with the decision.
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                try Self.enqueueWebhooks(db, topic: "violation.confirmed", body: String(decoding: try encoder.encode(decided), as: UTF8.self))
            }
            return decided
        }
    }

    /// The decision for `plate` at the passage instant, against each exact-plate permit as it
    /// stood then (its last change at or before the passage; one created later did not exist).
    static func redecide(plate: String, at milliseconds: Int64, gate: Gate?, _ db: any StoreConnection) throws -> Decision {
        guard let gate else { return .notAuthorised(permitID: nil, validity: nil) }
        let decoder = JSONDecoder()
        var permits: [Permit] = []
        for row in try StoreRow.fetchAll(db, sql: "SELECT id, seq, json FROM permits WHERE plate = ?", arguments: [plate]) {
            let permitID: String = row["id"]
            if let then = try String.fetchOne(
                db, sql: "SELECT json FROM permit_changes WHERE permit_id = ? AND created_ms <= ? ORDER BY seq DESC LIMIT 1",
                arguments: [permitID, milliseconds])
            {
                if let permit = try? decoder.decode(Permit.self, from: Data(then.utf8)) { permits.append(permit) }
            } else if try Int64.fetchOne(db, sql: "SELECT created_ms FROM permit_changes WHERE seq = ?", arguments: [row["seq"] as Int64]) == nil {
                // The log was compacted past this permit's last change: that change predates the log, so it held then.
                if let permit = try? decoder.decode(Permit.self, from: Data((row["json"] as String).utf8)) { permits.append(permit) }
            }
        }
        let holidays = HolidayCalendar(Set(try String.fetchAll(db, sql: "SELECT date FROM holidays").compactMap(LocalDate.init)))
        let read = PlateRead(text: plate, confidence: 1, at: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return decide(read, at: gate, permits: PermitIndex(permits), holidays: holidays)
    }
}
