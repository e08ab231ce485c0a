import Foundation

// Moving a city's central from SQLite to PostgreSQL (issue 13): every row of the SQLite store is
// copied into a fresh PostgreSQL store whose migrations have run, in one PostgreSQL transaction,
// so that the copy is all there or not at all. The schemas are the same by construction
// (`PostgresSchema` is the SQLite migrations' end state); the copy checks it table by table.

extension CentralStore {
    /// What a copy moved: rows per table, in the order the tables were copied.
    public struct CopyReport: Sendable, Equatable {
        public var tables: [(name: String, rows: Int)]
        public var totalRows: Int { tables.reduce(0) { $0 + $1.rows } }

        public static func == (lhs: CopyReport, rhs: CopyReport) -> Bool {
            lhs.tables.map(\.name) == rhs.tables.map(\.name) && lhs.tables.map(\.rows) == rhs.tables.map(\.rows)
        }
    }

    /// Copies every row of this SQLite store into `target`, an empty PostgreSQL store.
    ///
    /// One read snapshot of the source and one write transaction of the target: a failure leaves
    /// the target as empty as it was. Central must not be running on either while it copies.
    /// Tables are copied parents first (foreign keys), each in pages of its primary key, and the
    /// target's identity sequences are moved past the copied ids, so that new rows never collide.
    /// `progress` is told each table's name and rows as it is done.
    public func copy(into target: CentralStore, progress: (String, Int) -> Void = { _, _ in }) throws -> CopyReport {
        guard engine == .sqlite, target.engine == .postgres else { throw StoreError("store copy: from a SQLite store into a PostgreSQL store only") }
        return try database.read { source in
            try target.database.write { destination in
                let sourceTables = Set(try String.fetchAll(
                    source, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'"))
                let targetTables = Set(try String.fetchAll(destination, sql: """
                    SELECT table_name FROM information_schema.tables
                    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'bollard_migrations'
                    """))
                guard sourceTables == targetTables else {
                    throw StoreError(
                        "store copy: the schemas differ (only in SQLite: \(sourceTables.subtracting(targetTables).sorted()); "
                            + "only in PostgreSQL: \(targetTables.subtracting(sourceTables).sorted())); run the same Bollard version on both")
                }
                for table in targetTables.sorted() where try Bool.fetchOne(destination, sql: "SELECT EXISTS (SELECT 1 FROM \(quoted(table)))") == true {
                    throw StoreError("store copy: the PostgreSQL store is not empty (table \(table) has rows); copy into a new database")
                }
                var report = CopyReport(tables: [])
                for table in try Self.parentsFirst(targetTables, destination) {
                    let rows = try Self.copyTable(table, from: source, to: destination)
                    progress(table, rows)
                    report.tables.append((table, rows))
                }
                // Identity columns: the next id follows the largest copied one.
                for row in try StoreRow.fetchAll(destination, sql: """
                    SELECT table_name, column_name FROM information_schema.columns
                    WHERE table_schema = current_schema() AND is_identity = 'YES'
                    """)
                {
                    let table: String = row["table_name"], column: String = row["column_name"]
                    try destination.execute(
                        sql: "SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max(\(quoted(column))), 0) + 1, false) FROM \(quoted(table))",
                        arguments: [table, column])
                }
                return report
            }
        }
    }

    /// The tables in an order where a table referenced by a foreign key comes before those referencing it.
    private static func parentsFirst(_ tables: Set<String>, _ db: any StoreConnection) throws -> [String] {
        var parents: [String: Set<String>] = [:]
        for row in try StoreRow.fetchAll(db, sql: """
            SELECT child.relname AS child, parent.relname AS parent FROM pg_constraint c
            JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class parent ON parent.oid = c.confrelid
            WHERE c.contype = 'f'
            """)
        {
            let child: String = row["child"], parent: String = row["parent"]
            if child != parent { parents[child, default: []].insert(parent) }
        }
        var ordered: [String] = []
        var placed: Set<String> = []
        var remaining = tables.sorted()
        while !remaining.isEmpty {
            let ready = remaining.filter { parents[$0, default: []].subtracting(placed).intersection(tables).isEmpty }
            guard !ready.isEmpty else { throw StoreError("store copy: foreign keys form a cycle among \(remaining)") }
            ordered += ready
            placed.formUnion(ready)
            remaining.removeAll { placed.contains($0) }
        }
        return ordered
    }

    /// Copies one table in pages of 500 rows, ordered by its primary key (its rowid when it declares none).
    private static func copyTable(_ table: String, from source: any StoreConnection, to destination: any StoreConnection) throws -> Int {
        let info = try StoreRow.fetchAll(source, sql: "SELECT name, pk FROM pragma_table_info(?)", arguments: [table])
        let sourceColumns = info.map { $0["name"] as String }
        let targetColumns = try String.fetchAll(destination, sql: """
            SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
            """, arguments: [table])
        guard Set(sourceColumns) == Set(targetColumns) else {
            throw StoreError("store copy: table \(table) has columns \(sourceColumns.sorted()) in SQLite but \(targetColumns.sorted()) in PostgreSQL")
        }
        var key = info.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
        let selectKey = key.isEmpty ? "rowid AS bollard_copy_rowid, " : ""
        if key.isEmpty { key = ["rowid"] }
        let keyNames = key.map { $0 == "rowid" ? "bollard_copy_rowid" : $0 }
        let columnList = targetColumns.map(quoted).joined(separator: ", ")
        let keyList = key.map { $0 == "rowid" ? "rowid" : quoted($0) }.joined(separator: ", ")
        let pageSize = rowsPerInsert
        var after: [StoreValue]?
        var copied = 0
        while true {
            var sql = "SELECT \(selectKey)* FROM \(quoted(table))"
            if after != nil { sql += " WHERE (\(keyList)) > (\(parameterList(key.count)))" }
            sql += " ORDER BY \(keyList) LIMIT \(pageSize)"
            let page = try StoreRow.fetchAll(source, sql: sql, arguments: StoreArguments(values: after ?? []))
            guard !page.isEmpty else { return copied }
            var arguments = StoreArguments(values: [])
            for row in page {
                for column in targetColumns {
                    guard let index = row.index(of: column) else { throw StoreError("store copy: \(table).\(column) missing from a row") }
                    arguments.values.append(row.values[index])
                }
            }
            try destination.execute(
                sql: "INSERT INTO \(quoted(table)) (\(columnList)) VALUES \(placeholders(rows: page.count, columns: targetColumns.count))",
                arguments: arguments)
            copied += page.count
            let last = page[page.count - 1]
            after = keyNames.map { last.values[last.index(of: $0)!] }
            if page.count < pageSize { return copied }
        }
    }
}

/// A name as an SQL identifier, quoted (`offset` is a keyword on PostgreSQL).
private func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
