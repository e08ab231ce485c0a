import Foundation
import GRDB

/// Central's store on SQLite (the default): a GRDB `DatabasePool` in WAL mode with
/// `synchronous=FULL`. Writers are serialised by SQLite's write lock, which also
/// serialises several central instances sharing one file.
final class SQLiteStoreDatabase: StoreDatabase {
    let pool: DatabasePool
    var engine: StoreEngine { .sqlite }

    init(path: String, migrator: DatabaseMigrator) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
    }

    func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            try pool.read { db in try body(SQLiteStoreConnection(db)) }
        }
    }

    func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            try pool.write { db in try body(SQLiteStoreConnection(db)) }
        }
    }

    func writeWithoutTransaction<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            try pool.writeWithoutTransaction { db in try body(SQLiteStoreConnection(db)) }
        }
    }

    func close() {}

    var permitChangeSignals: Int? { nil }
    func listenForPermitChanges() {}
}

/// A GRDB `Database` behind `StoreConnection`; lives only inside one `read`/`write` closure.
final class SQLiteStoreConnection: StoreConnection {
    let db: Database
    init(_ db: Database) { self.db = db }

    var engine: StoreEngine { .sqlite }

    func execute(sql: String, arguments: StoreArguments) throws {
        if arguments.values.isEmpty {
            try db.execute(sql: sql)
        } else {
            try db.execute(sql: sql, arguments: Self.grdbArguments(arguments))
        }
    }

    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        try Self.rows(try GRDB.Row.fetchCursor(db, sql: sql, arguments: Self.grdbArguments(arguments)))
    }

    func cachedStatement(sql: String) throws -> any StoreStatement {
        SQLiteStoreStatement(statement: try db.cachedStatement(sql: sql))
    }

    func statement(sql: String) throws -> any StoreStatement {
        SQLiteStoreStatement(statement: try db.makeStatement(sql: sql))
    }

    var changesCount: Int { db.changesCount }

    func tableExists(_ name: String) throws -> Bool { try db.tableExists(name) }

    func inTransaction(_ body: () throws -> StoreTransactionCompletion) throws {
        try db.inTransaction(.immediate) {
            switch try body() {
            case .commit: .commit
            case .rollback: .rollback
            }
        }
    }

    static func grdbArguments(_ arguments: StoreArguments) -> StatementArguments {
        StatementArguments(arguments.values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let v): v.databaseValue
            case .real(let v): v.databaseValue
            case .text(let v): v.databaseValue
            case .blob(let v): v.databaseValue
            }
        })
    }

    static func rows(_ cursor: RowCursor) throws -> [StoreRow] {
        var rows: [StoreRow] = []
        var columns: [String]?
        while let row = try cursor.next() {
            let names = columns ?? Array(row.columnNames)
            columns = names
            rows.append(StoreRow(columns: names, values: row.databaseValues.map(storeValue)))
        }
        return rows
    }

    static func storeValue(_ value: DatabaseValue) -> StoreValue {
        switch value.storage {
        case .null: .null
        case .int64(let v): .integer(v)
        case .double(let v): .real(v)
        case .string(let v): .text(v)
        case .blob(let v): .blob(v)
        }
    }
}

/// A statement SQLite keeps compiled for the life of the connection (the ingest hot path).
struct SQLiteStoreStatement: StoreStatement {
    let statement: Statement
    func execute(arguments: StoreArguments) throws {
        try statement.execute(arguments: SQLiteStoreConnection.grdbArguments(arguments))
    }
    func fetchAll(arguments: StoreArguments) throws -> [StoreRow] {
        try SQLiteStoreConnection.rows(try GRDB.Row.fetchCursor(statement, arguments: SQLiteStoreConnection.grdbArguments(arguments)))
    }
}
