import Foundation

// The seam between central's store and its database engine (issue 13).
//
// `CentralStore` and its extensions keep their SQL; they run it through these
// types, which mimic the small part of GRDB they used (`read`/`write` closures,
// `execute`, `fetchOne`/`fetchAll`, cached statements, `changesCount`). Two
// engines implement them: SQLite through GRDB (`SQLiteStoreDatabase`, the
// default) and PostgreSQL through postgres-nio (`PostgresStoreDatabase`). SQL
// that both engines accept is written once; the few places where the dialects
// differ ask `db.engine`.

/// Which engine a store runs on.
public enum StoreEngine: String, Sendable {
    case sqlite
    case postgres
}

/// A value as the store binds and reads it: the same five kinds in both engines
/// (booleans travel as integers 0/1, as SQLite keeps them).
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A Swift type the store binds as an argument and reads back from a column.
public protocol StoreValueConvertible {
    var storeValue: StoreValue { get }
    /// Nil when the stored value cannot be this type.
    static func fromStoreValue(_ value: StoreValue) -> Self?
}

extension Int64: StoreValueConvertible {
    public var storeValue: StoreValue { .integer(self) }
    public static func fromStoreValue(_ value: StoreValue) -> Int64? {
        switch value {
        case .integer(let v): v
        case .real(let v): Int64(exactly: v.rounded(.towardZero))
        case .text(let v): Int64(v)
        default: nil
        }
    }
}

extension Int: StoreValueConvertible {
    public var storeValue: StoreValue { .integer(Int64(self)) }
    public static func fromStoreValue(_ value: StoreValue) -> Int? { Int64.fromStoreValue(value).map { Int($0) } }
}

extension Int32: StoreValueConvertible {
    public var storeValue: StoreValue { .integer(Int64(self)) }
    public static func fromStoreValue(_ value: StoreValue) -> Int32? { Int64.fromStoreValue(value).flatMap { Int32(exactly: $0) } }
}

extension Bool: StoreValueConvertible {
    public var storeValue: StoreValue { .integer(self ? 1 : 0) }
    public static func fromStoreValue(_ value: StoreValue) -> Bool? { Int64.fromStoreValue(value).map { $0 != 0 } }
}

extension Double: StoreValueConvertible {
    public var storeValue: StoreValue { .real(self) }
    public static func fromStoreValue(_ value: StoreValue) -> Double? {
        switch value {
        case .real(let v): v
        case .integer(let v): Double(v)
        case .text(let v): Double(v)
        default: nil
        }
    }
}

extension String: StoreValueConvertible {
    public var storeValue: StoreValue { .text(self) }
    public static func fromStoreValue(_ value: StoreValue) -> String? {
        switch value {
        case .text(let v): v
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .blob(let v): String(decoding: v, as: UTF8.self)
        case .null: nil
        }
    }
}

extension Data: StoreValueConvertible {
    public var storeValue: StoreValue { .blob(self) }
    public static func fromStoreValue(_ value: StoreValue) -> Data? {
        switch value {
        case .blob(let v): v
        case .text(let v): Data(v.utf8)
        default: nil
        }
    }
}

extension Optional: StoreValueConvertible where Wrapped: StoreValueConvertible {
    public var storeValue: StoreValue { self?.storeValue ?? .null }
    public static func fromStoreValue(_ value: StoreValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        return Wrapped.fromStoreValue(value).map { .some($0) }
    }
}

/// Positional arguments for the `?` placeholders of one statement.
public struct StoreArguments: Sendable, ExpressibleByArrayLiteral {
    public var values: [StoreValue]

    public init(_ values: [(any StoreValueConvertible)?]) { self.values = values.map { $0?.storeValue ?? .null } }
    public init(values: [StoreValue]) { self.values = values }
    public init(arrayLiteral elements: (any StoreValueConvertible)?...) { self.init(elements) }

    public mutating func append(contentsOf other: StoreArguments) { values += other.values }
    public static func + (lhs: StoreArguments, rhs: StoreArguments) -> StoreArguments { StoreArguments(values: lhs.values + rhs.values) }
    public static func += (lhs: inout StoreArguments, rhs: StoreArguments) { lhs.values += rhs.values }
}

/// A failure of the store's engine, with the SQL that caused it.
public struct StoreError: Error, CustomStringConvertible {
    public var message: String
    public var sql: String?
    /// PostgreSQL's SQLSTATE (e.g. `23505` unique violation), when the server sent one.
    public var sqlState: String?
    public init(_ message: String, sql: String? = nil, sqlState: String? = nil) {
        self.message = message
        self.sql = sql
        self.sqlState = sqlState
    }
    public var description: String { sql.map { "\(message) (in: \($0.prefix(200)))" } ?? message }
}

/// One row of a result: columns by name (case-insensitive, like SQLite) or by position.
public struct StoreRow: Sendable {
    public let columns: [String]
    public let values: [StoreValue]

    public init(columns: [String], values: [StoreValue]) {
        self.columns = columns
        self.values = values
    }

    public func index(of column: String) -> Int? {
        columns.firstIndex(of: column) ?? columns.firstIndex { $0.caseInsensitiveCompare(column) == .orderedSame }
    }

    /// The raw value of a column; `.null` when the row has no such column.
    public func value(_ column: String) -> StoreValue { index(of: column).map { values[$0] } ?? .null }

    public func hasColumn(_ column: String) -> Bool { index(of: column) != nil }

    /// A column's value as `T`. Like GRDB, a value that cannot be `T` is a programming error
    /// (the schema and the code disagree), not bad input: it stops the process with the column's name.
    public subscript<T: StoreValueConvertible>(_ column: String) -> T {
        let value = value(column)
        guard let converted = T.fromStoreValue(value) else {
            fatalError("store column \(column): \(value) is not a \(T.self)")
        }
        return converted
    }

    public subscript<T: StoreValueConvertible>(_ position: Int) -> T {
        let value = position < values.count ? values[position] : .null
        guard let converted = T.fromStoreValue(value) else {
            fatalError("store column #\(position): \(value) is not a \(T.self)")
        }
        return converted
    }

    /// The first column, the way `SELECT count(*)` and friends are read.
    var first: StoreValue { values.first ?? .null }
}

/// A statement the engine may keep prepared (SQLite) across calls within one connection.
public protocol StoreStatement {
    func execute(arguments: StoreArguments) throws
    func fetchAll(arguments: StoreArguments) throws -> [StoreRow]
}

extension StoreStatement {
    public func execute() throws { try execute(arguments: []) }
}

/// How `inTransaction` ends.
public enum StoreTransactionCompletion {
    case commit
    case rollback
}

/// One connection inside a `read` or `write`: what the store's SQL runs on.
public protocol StoreConnection: AnyObject {
    var engine: StoreEngine { get }
    /// Runs one statement, or (without arguments) several separated by `;`.
    func execute(sql: String, arguments: StoreArguments) throws
    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow]
    func cachedStatement(sql: String) throws -> any StoreStatement
    /// A statement compiled for this use only (not kept in the connection's cache).
    func statement(sql: String) throws -> any StoreStatement
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changesCount: Int { get }
    func tableExists(_ name: String) throws -> Bool
    /// A transaction opened inside `writeWithoutTransaction`, holding the write lock from its start.
    func inTransaction(_ body: () throws -> StoreTransactionCompletion) throws
}

extension StoreConnection {
    public func execute(sql: String) throws { try execute(sql: sql, arguments: []) }
    public func fetchAll(sql: String) throws -> [StoreRow] { try fetchAll(sql: sql, arguments: []) }
    public func fetchOne(sql: String, arguments: StoreArguments = []) throws -> StoreRow? {
        try fetchAll(sql: sql, arguments: arguments).first
    }

    /// SQL for the text of `key` in a JSON object held as text in `column` (the dialects differ).
    public func jsonField(_ column: String, _ key: String) -> String {
        switch engine {
        case .sqlite: "json_extract(\(column), '$.\(key)')"
        case .postgres: "(\(column)::jsonb ->> '\(key)')"
        }
    }
}

/// The database a store runs on: snapshot reads and serialised writes, like SQLite in WAL mode.
public protocol StoreDatabase: Sendable {
    var engine: StoreEngine { get }
    /// A consistent snapshot for reading.
    func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T
    /// One transaction holding the store's write lock: writers are serialised, in every engine and
    /// across every central instance sharing the database; COMMIT happens before this returns.
    func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T
    /// A connection without a transaction; the body opens one with `inTransaction` when it must.
    func writeWithoutTransaction<T>(_ body: (any StoreConnection) throws -> T) throws -> T
    /// Closes connections (PostgreSQL); the store is unusable afterwards.
    func close()
    /// Starts hearing permit-change notifications (PostgreSQL: LISTEN on a connection of its own,
    /// kept for as long as the store is open); nothing on SQLite. The gate server calls it at start.
    func listenForPermitChanges()
    /// How many permit-change notifications this process has heard, or nil when the engine has none
    /// (SQLite: the gate server polls the change log instead). Only ever grows; a new value means
    /// "look at the change log now". The sequence stays the truth: a missed notification is caught
    /// up by the next poll.
    var permitChangeSignals: Int? { get }
}

// MARK: Fetching typed values, spelled as the store spelled them with GRDB.

extension StoreRow {
    public static func fetchAll(_ db: any StoreConnection, sql: String, arguments: StoreArguments = []) throws -> [StoreRow] {
        try db.fetchAll(sql: sql, arguments: arguments)
    }
    public static func fetchOne(_ db: any StoreConnection, sql: String, arguments: StoreArguments = []) throws -> StoreRow? {
        try db.fetchAll(sql: sql, arguments: arguments).first
    }
    public static func fetchCursor(_ db: any StoreConnection, sql: String, arguments: StoreArguments = []) throws -> StoreCursor<StoreRow> {
        StoreCursor(try db.fetchAll(sql: sql, arguments: arguments))
    }
    public static func fetchAll(_ statement: any StoreStatement, arguments: StoreArguments = []) throws -> [StoreRow] {
        try statement.fetchAll(arguments: arguments)
    }
    public static func fetchOne(_ statement: any StoreStatement, arguments: StoreArguments = []) throws -> StoreRow? {
        try statement.fetchAll(arguments: arguments).first
    }
}

extension StoreValueConvertible {
    public static func fetchOne(_ db: any StoreConnection, sql: String, arguments: StoreArguments = []) throws -> Self? {
        try db.fetchAll(sql: sql, arguments: arguments).first.flatMap { Self.fromStoreValue($0.first) }
    }
    public static func fetchAll(_ db: any StoreConnection, sql: String, arguments: StoreArguments = []) throws -> [Self] {
        try db.fetchAll(sql: sql, arguments: arguments).compactMap { Self.fromStoreValue($0.first) }
    }
    public static func fetchCursor(_ db: any StoreConnection, sql: String, arguments: StoreArguments = []) throws -> StoreCursor<Self> {
        StoreCursor(try fetchAll(db, sql: sql, arguments: arguments))
    }
    public static func fetchOne(_ statement: any StoreStatement, arguments: StoreArguments = []) throws -> Self? {
        try statement.fetchAll(arguments: arguments).first.flatMap { Self.fromStoreValue($0.first) }
    }
}

/// Rows read one at a time (today: from a fetched array; the spelling keeps GRDB's).
public final class StoreCursor<Element> {
    private var iterator: IndexingIterator<[Element]>
    init(_ elements: [Element]) { iterator = elements.makeIterator() }
    public func next() throws -> Element? { iterator.next() }
}

/// Where `store = …` points: `sqlite:PATH` (or a bare path) or `postgres://…`.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    public init(_ text: String) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite:") {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else {
            self = .sqlite(path: text)
        }
    }
}

extension StoreConnection {
    /// The statement for one chunk of a batch: kept prepared when the chunk is full (the same text
    /// every time), compiled for this use only when it is a batch's shorter remainder, so that the
    /// cache holds one text per kind of statement, not one per remainder length.
    func chunkStatement(sql: String, full: Bool) throws -> any StoreStatement {
        full ? try cachedStatement(sql: sql) : try statement(sql: sql)
    }
}
