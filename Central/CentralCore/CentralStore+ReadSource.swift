import GRDB

// Where each event's read came from (protocol revision 5): central fines only
// camera and video reads, so the column travels with events, conflicts and the
// stays the overstay rule pairs.

extension CentralStore {
    static func registerReadSourceMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-read-source") { db in
            // Rows stored before keep NULL: their source is unknown, and unknown never becomes a fine.
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN source TEXT;
                ALTER TABLE event_conflicts ADD COLUMN source TEXT;
                ALTER TABLE stays ADD COLUMN source TEXT;
                """)
        }
        migrator.registerMigration("v6-char-confidences") { db in
            // The recogniser's confidence per character, shown to the reviewer; NULL for generated and older reads.
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN chars TEXT;
                ALTER TABLE event_conflicts ADD COLUMN chars TEXT;
                """)
        }
    }

    /// The SQL condition, over events aliased `e`, of a read that may become a fine.
    static let fineableSourceCondition = "e.source IN ('camera', 'video')"
}
