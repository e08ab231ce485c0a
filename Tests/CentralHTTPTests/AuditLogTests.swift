@testable import CentralCore
import Foundation
import Testing

@Suite struct AuditLogTests {
    @Test("the audit chain verifies; changing one row behind the triggers is found at that row")
    func tamperingIsDetected() throws {
        let fixture = try ControlFixture()
        let log = AuditLog(store: fixture.store)
        let actor = Actor(name: "officer-7", role: .police)
        for number in 1...5 { try log.record(actor: actor, action: "evidence.download", subject: "case-\(number)", reason: "fine \(number)") }
        #expect(try log.verify() == 5)

        // The table refuses UPDATE and DELETE through SQLite...
        let queue = fixture.store.database
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "UPDATE audit_log SET reason = 'x' WHERE seq = 3") } }
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq = 3") } }
        // ...so a tamperer drops the trigger first; the chain still tells.
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update" + (db.engine == .postgres ? " ON audit_log" : ""))
            try db.execute(sql: "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3")
        }
        #expect(throws: AuditLog.Break(seq: 3, problem: .hashMismatch)) { try log.verify() }
    }

    @Test("a deleted audit entry breaks the chain at the entry after it")
    func deletionIsDetected() throws {
        let fixture = try ControlFixture()
        let log = AuditLog(store: fixture.store)
        for number in 1...4 { try log.record(actor: Actor(name: "op", role: .operator_), action: "case.confirm", subject: "c\(number)") }
        let queue = fixture.store.database
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_delete" + (db.engine == .postgres ? " ON audit_log" : ""))
            try db.execute(sql: "DELETE FROM audit_log WHERE seq = 2")
        }
        #expect(throws: AuditLog.Break(seq: 3, problem: .gap)) { try log.verify() }
    }
}
