@testable import CentralCore
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// What the tests compare across the two databases: an event as the gate
/// stored it and as central stored it, and a permit set.
extension Cluster {
    /// The fields of an event both sides keep (not central's `received_ms` or the gate's `created_ms`).
    struct EventRow: Equatable, CustomStringConvertible {
        var seq: Int64
        var atMilliseconds: Int64
        var kind: String
        var plate: String?
        var confidence: Double
        var permitID: String?
        var reason: String?

        /// A row of the gate's buffer (GRDB), read as central's rows are.
        init(_ row: Row) {
            self.init(StoreRow(columns: Array(row.columnNames), values: row.databaseValues.map(SQLiteStoreConnection.storeValue)))
        }

        /// The fields from a store row (central's, either engine).
        init(_ row: StoreRow) {
            seq = row["seq"]
            atMilliseconds = row["at_ms"]
            kind = row["kind"]
            plate = row["plate"]
            confidence = row["confidence"]
            permitID = row["permit_id"]
            reason = row["reason"]
        }

        var description: String {
            "#\(seq) \(kind) \(plate ?? "-") \(confidence) at \(atMilliseconds) permit \(permitID ?? "-") reason \(reason ?? "-")"
        }
    }

    static let eventColumns = "seq, at_ms, kind, plate, confidence, permit_id, reason"

    /// Opens a database file of a process that may have been killed: read-write,
    /// so SQLite can recover its WAL index (nobody else has it open then).
    private func openFile(_ path: String, readonly: Bool) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = readonly
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Every event central holds for `gate`, in sequence order (all origins).
    /// `centralStopped`: central is not running, so the file may be opened to recover it.
    func centralEventRows(gate: String, centralStopped: Bool = false) throws -> [EventRow] {
        // Opened read-write (the store runs its no-op migrations), so SQLite can recover a killed central's WAL.
        try centralDatabase().read { db in
            try StoreRow.fetchAll(db, sql: "SELECT \(Self.eventColumns) FROM events WHERE gate_id = ? ORDER BY seq", arguments: [gate]).map(EventRow.init)
        }
    }

    /// How many events central holds for `gate`; read right after central was killed.
    func centralEventCount(gate: String, centralStopped: Bool) throws -> Int {
        try centralDatabase().read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE gate_id = ?", arguments: [gate]) ?? 0
        }
    }

    func centralConflictCount() throws -> Int {
        try centralDatabase().read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM event_conflicts") ?? 0 }
    }

    /// The events still in a gate's buffer (unsent or unacknowledged); read after the gate was killed.
    func edgeEventRows(_ id: String, gateStopped: Bool) throws -> [EventRow] {
        try openFile(edgeData(id) + "/edge.sqlite", readonly: !gateStopped).read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.eventColumns) FROM events ORDER BY seq").map(EventRow.init)
        }
    }

    /// A permit as both sides hold it: its last change and its plate.
    struct PermitVersion: Equatable, CustomStringConvertible {
        var seq: Int64
        var plate: String
        var status: String
        var description: String { "\(plate)@\(seq) \(status)" }
    }

    /// Central's permit set: id → version.
    func centralPermits() throws -> [String: PermitVersion] {
        try centralDatabase().read { db in
            try Self.permits(StoreRow.fetchAll(db, sql: "SELECT id, seq, json FROM permits").map { ($0["id"], $0["seq"], $0["json"]) })
        }
    }

    /// The permit set a gate stored.
    func edgePermits(_ id: String) throws -> [String: PermitVersion] {
        try openFile(edgeData(id) + "/edge.sqlite", readonly: true).read { db in
            try Self.permits(Row.fetchAll(db, sql: "SELECT id, seq, json FROM permits").map { ($0["id"], $0["seq"], $0["json"]) })
        }
    }

    private static func permits(_ rows: [(id: String, seq: Int64, json: String)]) throws -> [String: PermitVersion] {
        var result: [String: PermitVersion] = [:]
        for row in rows {
            let object = try JSONSerialization.jsonObject(with: Data(row.json.utf8)) as? [String: Any] ?? [:]
            result[row.id] = PermitVersion(seq: row.seq, plate: object["plate"] as? String ?? "?", status: object["status"] as? String ?? "?")
        }
        return result
    }

    /// Stops central the way systemd does and waits for it to exit.
    func stopCentral() {
        guard let central, central.isRunning else { return }
        kill(central.processIdentifier, SIGTERM)
        central.waitUntilExit()
    }

    func signalCentral(_ signal: Int32) {
        guard let central, central.isRunning else { return }
        kill(central.processIdentifier, signal)
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
