import Domain
import Foundation
import GRDB

// Permit holders (issue 11): the people and businesses the council's app acts for.
// A holder is an opaque id (no name: the council's app knows who it is), a kind that
// says what it may register itself (a hotel its guests, a shop its delivery vans), the
// zones it is in and its quotas. Every change a holder makes is a permit change like any
// other: it gets the next sequence and reaches the gates by the usual push.

/// Someone permits belong to, as the council's app knows them.
public struct Holder: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A resident or any private person: own permits and applications only.
        case person
        /// Registers guests' plates for the nights of their stay, within `guestQuota` at once.
        case hotel
        /// Registers delivery vehicles for the loading hours, within `deliveryQuota` at once.
        case shop
    }

    public var id: String
    public var kind: Kind
    /// The zones its guests' and deliveries' permits are for.
    public var zones: [ZoneID]
    /// Guests' vehicles registered for any one night (hotels).
    public var guestQuota: Int
    /// Delivery vehicles registered at once (shops).
    public var deliveryQuota: Int

    public init(id: String, kind: Kind, zones: [ZoneID], guestQuota: Int = 0, deliveryQuota: Int = 0) {
        self.id = id
        self.kind = kind
        self.zones = zones
        self.guestQuota = guestQuota
        self.deliveryQuota = deliveryQuota
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, zones
        case guestQuota = "guest_quota"
        case deliveryQuota = "delivery_quota"
    }

    /// The first thing wrong with this holder, or nil.
    public func problem() -> InputProblem? {
        if let problem = InputLimits.permitIDProblem(id, field: "id") { return problem }
        if !InputLimits.zonesPerPermit.contains(zones.count) {
            return InputProblem(field: "zones", reason: "between 1 and \(InputLimits.zonesPerPermit.upperBound) zones")
        }
        for (index, zone) in zones.enumerated() {
            if let problem = InputLimits.zoneIDProblem(zone, field: "zones[\(index)]") { return problem }
        }
        if !(0...10_000).contains(guestQuota) { return InputProblem(field: "guest_quota", reason: "between 0 and 10000") }
        if !(0...10_000).contains(deliveryQuota) { return InputProblem(field: "delivery_quota", reason: "between 0 and 10000") }
        return nil
    }
}

/// What the city's rules for self-service permits are; one place, documented in docs/citizens-api.md.
public struct HolderRules: Sendable {
    /// How often one permit's vehicle may be replaced: at most `plateChanges` in `plateChangeWindow`.
    public var plateChanges = 3
    public var plateChangeWindow: TimeInterval = 30 * 86_400
    /// Profiles whose holder may replace the vehicle (a guest's or delivery permit is ended and registered anew instead).
    public var replaceableProfiles: Set<Profile> = [.resident, .shopkeeper, .disabilityBadge, .taxi, .temporary]
    /// Longest hotel stay one registration covers, in nights.
    public var longestStayNights = 30
    /// How far ahead a stay may be registered, in days.
    public var bookingHorizonDays = 365
    /// A guest's car enters to drop off and load luggage: at most an hour inside.
    public var guestMaxStaySeconds = 3_600
    /// Loading hours of the quarter, and the longest a delivery may stay.
    public var loadingWindows: [TimeWindow] = [
        TimeWindow(days: [.monday, .tuesday, .wednesday, .thursday, .friday, .saturday], start: 7 * 60, end: 11 * 60)
    ]
    public var deliveryMaxStaySeconds = 1_800
    /// Longest temporary permit one application may ask for, in days.
    public var longestTemporaryDays = 31

    public init() {}
}

/// A request for a one-off (temporary) permit, decided by an operator.
public struct PermitApplication: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable { case pending, approved, refused }

    public var id: String
    public var holder: String
    public var plate: String
    public var zones: [ZoneID]
    public var validFromMilliseconds: Int64
    public var validUntilMilliseconds: Int64
    public var reason: String
    public var state: State
    /// The permit an approval created.
    public var permitID: String?
    public var decidedBy: String?
    public var decisionReason: String?
    public var createdMilliseconds: Int64
    public var decidedMilliseconds: Int64?

    enum CodingKeys: String, CodingKey {
        case id, holder, plate, zones, reason, state
        case validFromMilliseconds = "valid_from_ms"
        case validUntilMilliseconds = "valid_until_ms"
        case permitID = "permit_id"
        case decidedBy = "decided_by"
        case decisionReason = "decision_reason"
        case createdMilliseconds = "created_ms"
        case decidedMilliseconds = "decided_ms"
    }
}

/// Why a holder's request was refused; nothing was changed.
public enum HolderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such holder, or the permit or application is not this holder's: the two look alike from outside.
    case notFound(String)
    /// A field's value is wrong; the field is named as the request names it.
    case invalid(InputProblem)
    /// The request is well formed but the rules refuse it (quota, profile, state).
    case refused(field: String?, reason: String)

    public var description: String {
        switch self {
        case .notFound(let what): "no \(what)"
        case .invalid(let problem): problem.description
        case .refused(let field, let reason): field.map { "\($0): \(reason)" } ?? reason
        }
    }
}

extension CentralStore {
    static func registerHolderMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("holders-v1") { db in
            try db.execute(sql: """
                CREATE TABLE holders (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    zones TEXT NOT NULL,
                    guest_quota INTEGER NOT NULL DEFAULT 0,
                    delivery_quota INTEGER NOT NULL DEFAULT 0,
                    updated_ms INTEGER NOT NULL
                );
                ALTER TABLE permits ADD COLUMN holder TEXT NOT NULL DEFAULT '';
                UPDATE permits SET holder = coalesce(json_extract(json, '$.holder'), '');
                CREATE INDEX permits_holder ON permits(holder) WHERE holder != '';
                CREATE TABLE plate_replacements (
                    permit_id TEXT NOT NULL,
                    at_ms INTEGER NOT NULL
                );
                CREATE INDEX plate_replacements_permit ON plate_replacements(permit_id, at_ms);
                CREATE TABLE permit_applications (
                    id TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    plate TEXT NOT NULL,
                    zones TEXT NOT NULL,
                    valid_from_ms INTEGER NOT NULL,
                    valid_until_ms INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    state TEXT NOT NULL,
                    permit_id TEXT,
                    decided_by TEXT,
                    decision_reason TEXT,
                    created_ms INTEGER NOT NULL,
                    decided_ms INTEGER
                );
                CREATE INDEX permit_applications_holder ON permit_applications(holder, created_ms);
                CREATE INDEX permit_applications_state ON permit_applications(state, created_ms);
                """)
        }
    }

    // MARK: Holders

    /// Adds a holder or replaces its kind, zones and quotas.
    public func saveHolder(_ holder: Holder) throws(HolderError) {
        if let problem = holder.problem() { throw .invalid(problem) }
        do {
            try database.write { db in try Self.upsert(holder, db) }
        } catch { throw .refused(field: nil, reason: "the store refused the write: \(error)") }
    }

    static func upsert(_ holder: Holder, _ db: any StoreConnection) throws {
        try db.execute(
            sql: """
                INSERT INTO holders (id, kind, zones, guest_quota, delivery_quota, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, zones = excluded.zones,
                    guest_quota = excluded.guest_quota, delivery_quota = excluded.delivery_quota, updated_ms = excluded.updated_ms
                """,
            arguments: [
                holder.id, holder.kind.rawValue, holder.zones.joined(separator: ","), holder.guestQuota, holder.deliveryQuota,
                Self.nowMilliseconds(),
            ])
    }

    public func holder(id: String) throws -> Holder? {
        try database.read { db in try Self.holder(id, db) }
    }

    public func holders() throws -> [Holder] {
        try database.read { db in try StoreRow.fetchAll(db, sql: "SELECT * FROM holders ORDER BY id").map(Self.holder) }
    }

    static func holder(_ id: String, _ db: any StoreConnection) throws -> Holder? {
        try StoreRow.fetchOne(db, sql: "SELECT * FROM holders WHERE id = ?", arguments: [id]).map(Self.holder)
    }

    private static func holder(_ row: StoreRow) -> Holder {
        Holder(
            id: row["id"], kind: Holder.Kind(rawValue: row["kind"]) ?? .person,
            zones: (row["zones"] as String).split(separator: ",").map(String.init), guestQuota: row["guest_quota"],
            deliveryQuota: row["delivery_quota"])
    }

    /// A holder's permits, newest change first (revoked ones too: the app shows their history).
    public func permits(holder: String) throws -> [Permit] {
        try database.read { db in try Self.permits(holder: holder, db) }
    }

    static func permits(holder: String, _ db: any StoreConnection) throws -> [Permit] {
        guard !holder.isEmpty else { return [] }
        let decoder = JSONDecoder()
        return try String.fetchAll(db, sql: "SELECT json FROM permits WHERE holder = ? ORDER BY seq DESC", arguments: [holder])
            .map { try decoder.decode(Permit.self, from: Data($0.utf8)) }
    }

    /// One of the holder's permits; `notFound` when it is another holder's.
    public func permit(id: String, holder: String) throws -> Permit? {
        guard let permit = try permit(id: id), permit.holder == holder, !holder.isEmpty else { return nil }
        return permit
    }

    // MARK: What a holder may change

    /// Replaces the vehicle of one of the holder's permits, within `rules`.
    public func replacePlate(
        holder holderID: String, permitID: String, plate rawPlate: String, rules: HolderRules = .init(), now: Date = Date()
    ) throws -> Permit {
        let plate: PlateText
        do { plate = try PlateText(validating: rawPlate) } catch { throw HolderError.invalid(InputProblem(field: "plate", reason: "\(error)")) }
        return try database.write { db in
            guard try Self.holder(holderID, db) != nil else { throw HolderError.notFound("holder \(holderID)") }
            guard var permit = try Self.holderPermit(permitID, holder: holderID, db) else { throw HolderError.notFound("permit \(permitID)") }
            guard permit.status == .active else {
                throw HolderError.refused(field: nil, reason: "permit \(permitID) is \(permit.status.rawValue): only an active permit's vehicle can be replaced")
            }
            if let until = permit.validUntil, until <= now { throw HolderError.refused(field: nil, reason: "permit \(permitID) has expired") }
            guard rules.replaceableProfiles.contains(permit.profile) else {
                throw HolderError.refused(
                    field: nil, reason: "a \(permit.profile.rawValue) permit's vehicle is not replaced: end it and register the new vehicle")
            }
            guard permit.plate != plate else { return permit }
            let since = Self.milliseconds(now.addingTimeInterval(-rules.plateChangeWindow))
            let recent = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM plate_replacements WHERE permit_id = ? AND at_ms >= ?", arguments: [permitID, since]) ?? 0
            guard recent < rules.plateChanges else {
                throw HolderError.refused(
                    field: "plate",
                    reason: "the vehicle of permit \(permitID) was replaced \(recent) times in the last \(Int(rules.plateChangeWindow / 86_400)) days (at most \(rules.plateChanges))")
            }
            permit.plate = plate
            try db.execute(sql: "INSERT INTO plate_replacements (permit_id, at_ms) VALUES (?, ?)", arguments: [permitID, Self.milliseconds(now)])
            return try Self.save([permit][...], db)[0]
        }
    }

    /// Registers a hotel guest's vehicle for the nights from `arrival` to `departure` (the
    /// departure day included: the guest drives out that morning), within the hotel's quota
    /// for every one of those nights.
    public func registerGuest(
        holder holderID: String, plate rawPlate: String, arrival: LocalDate, departure: LocalDate, rules: HolderRules = .init(),
        now: Date = Date()
    ) throws -> Permit {
        let plate = try Self.plate(rawPlate)
        let today = MadridTime.local(now).date
        guard arrival >= today else { throw HolderError.invalid(InputProblem(field: "arrival", reason: "must be today or later")) }
        guard departure > arrival else { throw HolderError.invalid(InputProblem(field: "departure", reason: "must be after arrival")) }
        guard let firstDay = Self.dayRange(arrival), let departureDay = Self.dayRange(departure) else {
            throw HolderError.invalid(InputProblem(field: "departure", reason: "not a valid date"))
        }
        let start = Self.instant(firstDay.start)
        let lastDay = Self.instant(departureDay.start)
        let end = Self.instant(departureDay.end)
        let nights = Int(((lastDay.timeIntervalSince(start)) / 86_400).rounded())
        guard nights <= rules.longestStayNights else {
            throw HolderError.invalid(InputProblem(field: "departure", reason: "a registration covers at most \(rules.longestStayNights) nights"))
        }
        guard start.timeIntervalSince(now) <= Double(rules.bookingHorizonDays) * 86_400 else {
            throw HolderError.invalid(InputProblem(field: "arrival", reason: "at most \(rules.bookingHorizonDays) days ahead"))
        }
        return try database.write { db in
            guard let holder = try Self.holder(holderID, db) else { throw HolderError.notFound("holder \(holderID)") }
            guard holder.kind == .hotel else {
                throw HolderError.refused(field: nil, reason: "holder \(holderID) is a \(holder.kind.rawValue): only hotels register guests")
            }
            // The busiest night of the stay decides: guests' permits overlapping it, plus this one.
            let others = try Self.permits(holder: holderID, db).filter {
                $0.profile == .hotelGuest && $0.status == .active && $0.validFrom < end && ($0.validUntil ?? .distantFuture) > start
            }
            var busiest = 0
            var night = start
            while night < lastDay {
                let noon = night.addingTimeInterval(12 * 3_600)
                busiest = max(busiest, others.filter { $0.validFrom <= noon && ($0.validUntil ?? .distantFuture) > noon }.count)
                night = night.addingTimeInterval(86_400)
            }
            guard busiest < holder.guestQuota else {
                throw HolderError.refused(
                    field: nil, reason: "quota: \(busiest) of \(holder.guestQuota) guest vehicles already registered for a night of this stay")
            }
            let permit = Permit(
                id: try Self.newPermitID("G", db), plate: plate, profile: .hotelGuest, zones: holder.zones, validFrom: start, validUntil: end,
                maxStaySeconds: rules.guestMaxStaySeconds, holder: holderID)
            return try Self.save([permit][...], db)[0]
        }
    }

    /// Registers a shop's delivery vehicle for the loading hours, within its quota.
    public func registerDelivery(
        holder holderID: String, plate rawPlate: String, until: LocalDate? = nil, rules: HolderRules = .init(), now: Date = Date()
    ) throws -> Permit {
        let plate = try Self.plate(rawPlate)
        var validUntil: Date?
        if let until {
            guard until >= MadridTime.local(now).date, let day = Self.dayRange(until) else {
                throw HolderError.invalid(InputProblem(field: "until", reason: "must be today or later"))
            }
            validUntil = Self.instant(day.end)
        }
        return try database.write { db in
            guard let holder = try Self.holder(holderID, db) else { throw HolderError.notFound("holder \(holderID)") }
            guard holder.kind == .shop else {
                throw HolderError.refused(field: nil, reason: "holder \(holderID) is a \(holder.kind.rawValue): only shops register delivery vehicles")
            }
            let current = try Self.permits(holder: holderID, db).filter {
                $0.profile == .delivery && $0.status == .active && ($0.validUntil ?? .distantFuture) > now
            }
            guard current.count < holder.deliveryQuota else {
                throw HolderError.refused(field: nil, reason: "quota: \(current.count) of \(holder.deliveryQuota) delivery vehicles already registered")
            }
            if current.contains(where: { $0.plate == plate }) {
                throw HolderError.refused(field: "plate", reason: "that vehicle is already registered for this shop")
            }
            let permit = Permit(
                id: try Self.newPermitID("D", db), plate: plate, profile: .delivery, zones: holder.zones, validFrom: now, validUntil: validUntil,
                windows: rules.loadingWindows, maxStaySeconds: rules.deliveryMaxStaySeconds, holder: holderID)
            return try Self.save([permit][...], db)[0]
        }
    }

    /// Ends one of the holder's guest, delivery or temporary permits now (revoked; it frees quota).
    public func endPermit(holder holderID: String, permitID: String) throws -> Permit {
        try database.write { db in
            guard var permit = try Self.holderPermit(permitID, holder: holderID, db) else { throw HolderError.notFound("permit \(permitID)") }
            guard [.hotelGuest, .delivery, .temporary].contains(permit.profile) else {
                throw HolderError.refused(
                    field: nil, reason: "a \(permit.profile.rawValue) permit comes from the council's register; it is not ended from the app")
            }
            guard permit.status != .revoked else { return permit }
            permit.status = .revoked
            return try Self.save([permit][...], db)[0]
        }
    }

    // MARK: Temporary permits

    /// Files an application for a temporary permit; an operator decides it.
    public func apply(
        holder holderID: String, plate rawPlate: String, zones: [ZoneID]?, from: Date, until: Date, reason: String,
        rules: HolderRules = .init(), now: Date = Date()
    ) throws -> PermitApplication {
        let plate = try Self.plate(rawPlate)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(reason.count) else {
            throw HolderError.invalid(InputProblem(field: "reason", reason: "say what the permit is for (1-500 characters)"))
        }
        if reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw HolderError.invalid(InputProblem(field: "reason", reason: "must not hold control characters"))
        }
        guard until > from else { throw HolderError.invalid(InputProblem(field: "valid_until", reason: "must be after valid_from")) }
        guard until > now else { throw HolderError.invalid(InputProblem(field: "valid_until", reason: "must be in the future")) }
        guard until.timeIntervalSince(from) <= Double(rules.longestTemporaryDays) * 86_400 else {
            throw HolderError.invalid(InputProblem(field: "valid_until", reason: "a temporary permit lasts at most \(rules.longestTemporaryDays) days"))
        }
        for (field, instant) in [("valid_from", from), ("valid_until", until)] {
            if let problem = InputLimits.instantProblem(Self.milliseconds(instant), field: field) { throw HolderError.invalid(problem) }
        }
        if let zones {
            guard InputLimits.zonesPerPermit.contains(zones.count) else {
                throw HolderError.invalid(InputProblem(field: "zones", reason: "between 1 and \(InputLimits.zonesPerPermit.upperBound) zones"))
            }
            for (index, zone) in zones.enumerated() {
                if let problem = InputLimits.zoneIDProblem(zone, field: "zones[\(index)]") { throw HolderError.invalid(problem) }
            }
        }
        return try database.write { db in
            guard let holder = try Self.holder(holderID, db) else { throw HolderError.notFound("holder \(holderID)") }
            let pendingCount = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM permit_applications WHERE holder = ? AND state = 'pending'", arguments: [holderID]) ?? 0
            guard pendingCount < 20 else {
                throw HolderError.refused(field: nil, reason: "quota: 20 applications already wait for a decision")
            }
            let application = PermitApplication(
                id: try Self.newApplicationID(db), holder: holderID, plate: plate.normalized, zones: zones ?? holder.zones,
                validFromMilliseconds: Self.milliseconds(from), validUntilMilliseconds: Self.milliseconds(until), reason: reason, state: .pending,
                createdMilliseconds: Self.milliseconds(now))
            try db.execute(
                sql: """
                    INSERT INTO permit_applications (id, holder, plate, zones, valid_from_ms, valid_until_ms, reason, state, created_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                    """,
                arguments: [
                    application.id, holderID, application.plate, application.zones.joined(separator: ","),
                    application.validFromMilliseconds, application.validUntilMilliseconds, reason, application.createdMilliseconds,
                ])
            return application
        }
    }

    /// Applications, newest first: one holder's, or all in one state (the operators' list).
    public func applications(holder: String? = nil, state: PermitApplication.State? = nil, limit: Int = 200) throws -> [PermitApplication] {
        try database.read { db in
            var conditions: [String] = []
            var arguments: StoreArguments = []
            if let holder {
                conditions.append("holder = ?")
                _ = arguments.append(contentsOf: [holder])
            }
            if let state {
                conditions.append("state = ?")
                _ = arguments.append(contentsOf: [state.rawValue])
            }
            _ = arguments.append(contentsOf: [limit])
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try StoreRow.fetchAll(
                db, sql: "SELECT * FROM permit_applications \(filter) ORDER BY created_ms DESC, id DESC LIMIT ?", arguments: arguments
            ).map(Self.application)
        }
    }

    public func applicationCount(state: PermitApplication.State) throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM permit_applications WHERE state = ?", arguments: [state.rawValue]) ?? 0
        }
    }

    public func application(id: String) throws -> PermitApplication? {
        try database.read { db in try Self.application(id, db) }
    }

    static func application(_ id: String, _ db: any StoreConnection) throws -> PermitApplication? {
        try StoreRow.fetchOne(db, sql: "SELECT * FROM permit_applications WHERE id = ?", arguments: [id]).map(Self.application)
    }

    private static func application(_ row: StoreRow) -> PermitApplication {
        PermitApplication(
            id: row["id"], holder: row["holder"], plate: row["plate"],
            zones: (row["zones"] as String).split(separator: ",").map(String.init), validFromMilliseconds: row["valid_from_ms"],
            validUntilMilliseconds: row["valid_until_ms"], reason: row["reason"], state: PermitApplication.State(rawValue: row["state"]) ?? .pending,
            permitID: row["permit_id"], decidedBy: row["decided_by"], decisionReason: row["decision_reason"],
            createdMilliseconds: row["created_ms"], decidedMilliseconds: row["decided_ms"])
    }

    /// An operator's decision: approving creates the temporary permit (its own sequence, pushed
    /// to the gates like any change); refusing needs a reason the holder will read. Audited in
    /// the same transaction.
    public func decideApplication(
        id: String, approve: Bool, reason: String?, by actor: Actor, now: Date = Date()
    ) throws -> PermitApplication {
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if !approve, (reason ?? "").isEmpty {
            throw HolderError.invalid(InputProblem(field: "reason", reason: "say why the application is refused"))
        }
        if let reason, reason.count > 500 { throw HolderError.invalid(InputProblem(field: "reason", reason: "at most 500 characters")) }
        return try database.write { db in
            guard var application = try Self.application(id, db) else { throw HolderError.notFound("application \(id)") }
            guard application.state == .pending else {
                throw HolderError.refused(field: nil, reason: "application \(id) is already \(application.state.rawValue)")
            }
            if approve {
                let permit = Permit(
                    id: try Self.newPermitID("T", db), plate: try Self.plate(application.plate), profile: .temporary, zones: application.zones,
                    validFrom: Self.instant(application.validFromMilliseconds), validUntil: Self.instant(application.validUntilMilliseconds),
                    holder: application.holder)
                application.permitID = try Self.save([permit][...], db)[0].id
            }
            application.state = approve ? .approved : .refused
            application.decidedBy = actor.name
            application.decisionReason = reason
            application.decidedMilliseconds = Self.milliseconds(now)
            try db.execute(
                sql: """
                    UPDATE permit_applications SET state = ?, permit_id = ?, decided_by = ?, decision_reason = ?, decided_ms = ? WHERE id = ?
                    """,
                arguments: [application.state.rawValue, application.permitID, actor.name, reason, application.decidedMilliseconds, id])
            _ = try AuditLog.append(
                db, actor: actor, action: approve ? "application.approve" : "application.refuse", subject: id, reason: reason ?? "")
            return application
        }
    }

    // MARK: Helpers

    static func holderPermit(_ id: String, holder: String, _ db: any StoreConnection) throws -> Permit? {
        guard !holder.isEmpty,
            let json = try String.fetchOne(db, sql: "SELECT json FROM permits WHERE id = ? AND holder = ?", arguments: [id, holder])
        else { return nil }
        return try JSONDecoder().decode(Permit.self, from: Data(json.utf8))
    }

    private static func instant(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    private static func plate(_ raw: String) throws -> PlateText {
        do { return try PlateText(validating: raw) } catch { throw HolderError.invalid(InputProblem(field: "plate", reason: "\(error)")) }
    }

    /// A fresh permit id with a letter saying where it came from (G guest, D delivery, T temporary).
    private static func newPermitID(_ prefix: String, _ db: any StoreConnection) throws -> String {
        while true {
            let id = prefix + "-" + randomToken(10)
            if try Int.fetchOne(db, sql: "SELECT 1 FROM permits WHERE id = ?", arguments: [id]) == nil { return id }
        }
    }

    private static func newApplicationID(_ db: any StoreConnection) throws -> String {
        while true {
            let id = "A-" + randomToken(10)
            if try Int.fetchOne(db, sql: "SELECT 1 FROM permit_applications WHERE id = ?", arguments: [id]) == nil { return id }
        }
    }

    private static func randomToken(_ count: Int) -> String {
        // Crockford's base32 without look-alikes: ids get read out over the phone.
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }

}
