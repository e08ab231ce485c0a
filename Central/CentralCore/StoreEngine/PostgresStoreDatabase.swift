import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Central's store on PostgreSQL (issue 13): any number of central instances share one database.
///
/// The store's functions are synchronous, as they were on GRDB; this engine keeps them so by
/// running each statement on a pooled connection and waiting for its future (never on an event
/// loop thread: store calls come from the cooperative pool or the store's callers' threads).
///
/// The guarantees SQLite gave by having one writer are kept the same way: every `write` takes a
/// transaction-level advisory lock first, so writers are serialised across every instance. That
/// keeps the permit sequence gap-free as gates see it (a change is numbered and committed under the
/// lock, so no lower number can commit later) and keeps the store's read-then-write code correct.
/// Reads run in REPEATABLE READ transactions: one snapshot, like a SQLite read transaction.
final class PostgresStoreDatabase: StoreDatabase, @unchecked Sendable {
    var engine: StoreEngine { .postgres }

    /// The advisory lock key of the store's write lock ("BOLLARD1" as ASCII).
    static let writeLockKey: Int64 = 0x424F_4C4C_4152_4431
    /// The advisory lock key migrations run under ("BOLLARDM").
    static let migrationLockKey: Int64 = 0x424F_4C4C_4152_444D
    /// The channel a permit change is announced on (NOTIFY in the saving transaction, heard at its COMMIT).
    static let permitChannel = "bollard_permit_changes"

    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let lock = NSLock()
    private var idle: [PostgresStoreConnection] = []
    private var open = 0
    private let slots: DispatchSemaphore
    private var nextID = 0
    private var closed = false
    private var heard = 0
    private var listener: Task<Void, Never>?
    private var listeningConnection: PostgresConnection?

    /// - Parameter url: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, or `?host=/socket/dir` for a Unix socket.
    init(url: String, poolSize: Int = 8, logger: Logger = Logger(label: "bollard.store.postgres")) throws {
        configuration = try Self.configuration(from: url)
        self.logger = logger
        slots = DispatchSemaphore(value: max(1, poolSize))
        try migrate()
    }

    // MARK: Permit change notifications

    var permitChangeSignals: Int? {
        lock.lock()
        defer { lock.unlock() }
        return heard
    }

    func listenForPermitChanges() {
        lock.lock()
        defer { lock.unlock() }
        if listener == nil, !closed { startListening() }
    }

    private func signal() {
        lock.lock()
        heard += 1
        lock.unlock()
    }

    /// LISTENs on its own connection for as long as the store is open, reconnecting after a second
    /// when the connection fails; every (re)connection counts as a signal, since notifications sent
    /// while nobody listened are lost. Called under `lock`, once (`listenForPermitChanges`).
    private func startListening() {
        let configuration = configuration, logger = logger
        listener = Task.detached { [weak self] in
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(
                        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 0, logger: logger)
                    guard let store = self, store.adopt(connection) else {
                        try? await connection.close()
                        return
                    }
                    do {
                        let notifications = try await connection.listen(Self.permitChannel)
                        store.signal()
                        for try await _ in notifications { store.signal() }
                    } catch {
                        logger.debug("store: permit change listener lost its connection", metadata: ["error": "\(error)"])
                    }
                    store.release(listening: connection)
                    try? await connection.close()
                } catch {
                    logger.debug("store: permit change listener cannot connect", metadata: ["error": "\(error)"])
                }
                self?.signal()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Keeps the listening connection so that `close` can end it; false once the store is closed.
    private func adopt(_ connection: PostgresConnection) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return false }
        listeningConnection = connection
        return true
    }

    private func release(listening connection: PostgresConnection) {
        lock.lock()
        if listeningConnection === connection { listeningConnection = nil }
        lock.unlock()
    }

    static func configuration(from url: String) throws -> PostgresConnection.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw StoreError("store: not a postgres:// URL")
        }
        let user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        var database = String(components.path.drop { $0 == "/" })
        if database.isEmpty { database = user }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            let port = components.port ?? 5432
            return .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        guard let host = components.host, !host.isEmpty else { throw StoreError("store: the postgres URL names no host") }
        return .init(host: host, port: components.port ?? 5432, username: user, password: password, database: database, tls: .disable)
    }

    // MARK: Pool

    private func acquire() throws -> PostgresStoreConnection {
        slots.wait()
        lock.lock()
        if closed {
            lock.unlock()
            slots.signal()
            throw StoreError("store: closed")
        }
        if let connection = idle.popLast() {
            lock.unlock()
            if !connection.connection.isClosed { return connection }
            return try acquireFresh(replacing: true)
        }
        lock.unlock()
        return try acquireFresh(replacing: false)
    }

    private func acquireFresh(replacing: Bool) throws -> PostgresStoreConnection {
        lock.lock()
        nextID += 1
        let id = nextID
        if !replacing { open += 1 }
        lock.unlock()
        do {
            let connection = try PostgresConnection.connect(on: eventLoopGroup.next(), configuration: configuration, id: id, logger: logger).wait()
            return PostgresStoreConnection(connection, logger: logger)
        } catch {
            lock.lock()
            open -= 1
            lock.unlock()
            slots.signal()
            throw StoreError("store: cannot connect to PostgreSQL: \(String(reflecting: error))")
        }
    }

    /// Returns a connection to the pool; a broken one is closed and forgotten.
    private func release(_ connection: PostgresStoreConnection, broken: Bool) {
        lock.lock()
        if broken || closed {
            open -= 1
            lock.unlock()
            try? connection.connection.close().wait()
        } else {
            idle.append(connection)
            lock.unlock()
        }
        slots.signal()
    }

    private func withConnection<T>(_ body: (PostgresStoreConnection) throws -> T) throws -> T {
        let connection = try acquire()
        do {
            let result = try body(connection)
            release(connection, broken: connection.broken)
            return result
        } catch {
            release(connection, broken: connection.broken || connection.connection.isClosed)
            throw error
        }
    }

    deinit { close() }

    func close() {
        lock.lock()
        closed = true
        let connections = idle
        idle = []
        let listening = listeningConnection
        listeningConnection = nil
        listener?.cancel()
        lock.unlock()
        for connection in connections { try? connection.connection.close().wait() }
        // Ends the LISTEN loop; the listener task closes it too (closing twice is harmless).
        if let listening { try? listening.close().wait() }
    }

    // MARK: Transactions

    // BEGIN (and the write lock) are sent without waiting: the connection queues them ahead of the
    // body's first statement, whose wait covers them (one round trip for the thread, not three). A
    // read's COMMIT is not waited for either: the connection's next user waits for it with its own
    // first statement. A write's COMMIT is waited for: an ack may only follow a durable commit.

    func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try withConnection { db in
            db.send("BEGIN ISOLATION LEVEL REPEATABLE READ")
            return try db.finish(waitForCommit: false, body)
        }
    }

    func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try withConnection { db in
            db.beginWrite()
            return try db.finish(waitForCommit: true, body)
        }
    }

    func writeWithoutTransaction<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try withConnection { db in try body(db) }
    }

    // MARK: Migrations

    /// Applies `PostgresSchema.migrations` not yet applied, under an advisory lock: several instances
    /// starting together apply each migration once, and the later ones wait and find nothing to do.
    private func migrate() throws {
        try withConnection { db in
            try db.run("BEGIN")
            try db.run("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))")
            try db.finish(waitForCommit: true) { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS bollard_migrations (name TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)")
                let applied = Set(try String.fetchAll(db, sql: "SELECT name FROM bollard_migrations"))
                for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                    try (db as! PostgresStoreConnection).run(migration.sql)
                    try db.execute(
                        sql: "INSERT INTO bollard_migrations (name, applied_ms) VALUES (?, ?)",
                        arguments: [migration.name, Int64(Date().timeIntervalSince1970 * 1000)])
                }
            }
        }
    }
}

/// One pooled PostgreSQL connection inside a `read`/`write`.
final class PostgresStoreConnection: StoreConnection {
    let connection: PostgresConnection
    let logger: Logger
    private(set) var changesCount = 0
    /// The connection failed in a way that leaves its state unknown: the pool drops it.
    var broken = false
    var engine: StoreEngine { .postgres }

    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Statements sent and not yet waited for, in the order sent (the connection runs them in that order).
    private var pending: [(result: EventLoopFuture<PostgresQueryResult>, sql: String)] = []

    /// Runs the body inside the transaction the caller began; COMMIT on success, ROLLBACK on error.
    func finish<T>(waitForCommit: Bool, _ body: (any StoreConnection) throws -> T) throws -> T {
        let result: T
        do {
            result = try body(self)
        } catch {
            do { try run("ROLLBACK") } catch { broken = true }
            throw error
        }
        if waitForCommit { try run("COMMIT") } else { send("COMMIT") }
        return result
    }

    /// BEGIN and the store's write lock (see `PostgresStoreDatabase`), sent without waiting.
    func beginWrite() {
        send("BEGIN")
        send("SELECT pg_advisory_xact_lock(\(PostgresStoreDatabase.writeLockKey))")
    }

    /// Sends one statement without arguments and does not wait: the next wait on this connection covers it.
    func send(_ sql: String) {
        pending.append((connection.query(PostgresQuery(unsafeSQL: sql), logger: logger), sql))
    }

    /// Waits for what was sent before `next`; the first failure is thrown, after every one (and
    /// `next`, which then ran in a failed transaction or on a broken connection) has finished.
    private func settle(before next: EventLoopFuture<PostgresQueryResult>) throws {
        guard !pending.isEmpty else { return }
        let sent = pending
        pending.removeAll()
        var failure: StoreError?
        for statement in sent {
            do { _ = try statement.result.wait() } catch {
                if failure == nil { failure = fail(error, sql: statement.sql) }
            }
        }
        if let failure {
            _ = try? next.wait()
            throw failure
        }
    }

    /// Statements without arguments and without results (a script: several may be `;`-joined).
    func run(_ sql: String) throws {
        // BEGIN, COMMIT and the like hold no `;`: only a script is cut into statements.
        for statement in sql.contains(";") ? PostgresDialect.statements(sql) : [sql] {
            _ = try perform(PostgresQuery(unsafeSQL: statement), sql: statement)
        }
    }

    /// Sends a query behind what was sent before and waits for all of it (one wait for the thread).
    private func perform(_ query: PostgresQuery, sql: String) throws -> PostgresQueryResult {
        let sent = connection.query(query, logger: logger)
        try settle(before: sent)
        do {
            return try sent.wait()
        } catch {
            throw fail(error, sql: sql)
        }
    }

    func execute(sql: String, arguments: StoreArguments) throws {
        if arguments.values.isEmpty && sql.contains(";") && PostgresDialect.hasSeveralStatements(sql) {
            try run(sql)
            changesCount = 0
            return
        }
        _ = try query(sql, arguments)
    }

    func fetchAll(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        try query(sql, arguments)
    }

    func cachedStatement(sql: String) throws -> any StoreStatement { PostgresStoreStatement(connection: self, sql: sql) }
    func statement(sql: String) throws -> any StoreStatement { PostgresStoreStatement(connection: self, sql: sql) }

    func tableExists(_ name: String) throws -> Bool {
        try Bool.fetchOne(self, sql: "SELECT to_regclass(?) IS NOT NULL", arguments: [name]) ?? false
    }

    func inTransaction(_ body: () throws -> StoreTransactionCompletion) throws {
        beginWrite()
        let completion: StoreTransactionCompletion
        do {
            completion = try body()
        } catch {
            do { try run("ROLLBACK") } catch { broken = true }
            throw error
        }
        try run(completion == .commit ? "COMMIT" : "ROLLBACK")
    }

    func query(_ sql: String, _ arguments: StoreArguments) throws -> [StoreRow] {
        let text = PostgresDialect.translate(sql)
        var bindings = PostgresBindings(capacity: arguments.values.count)
        for value in arguments.values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            }
        }
        let result = try perform(PostgresQuery(unsafeSQL: text, binds: bindings), sql: sql)
        changesCount = result.metadata.rows ?? 0
        do {
            return try result.rows.map(Self.storeRow)
        } catch {
            throw fail(error, sql: sql)
        }
    }

    private func fail(_ error: any Error, sql: String) -> StoreError {
        if let error = error as? PSQLError {
            if let state = error.serverInfo?[.sqlState] {
                let message = error.serverInfo?[.message] ?? "\(error.code)"
                return StoreError("PostgreSQL: \(message)", sql: sql, sqlState: state)
            }
            broken = true
            return StoreError("PostgreSQL connection: \(error.code)", sql: sql)
        }
        broken = true
        return StoreError("PostgreSQL: \(String(reflecting: error))", sql: sql)
    }

    static func storeRow(_ row: PostgresRow) throws -> StoreRow {
        var columns: [String] = []
        var values: [StoreValue] = []
        columns.reserveCapacity(row.count)
        values.reserveCapacity(row.count)
        for cell in row {
            columns.append(cell.columnName)
            values.append(try storeValue(cell))
        }
        return StoreRow(columns: columns, values: values)
    }

    static func storeValue(_ cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            let text = "\(decimal)"
            if let integer = Int64(text) { return .integer(integer) }
            return .real(NSDecimalNumber(decimal: decimal).doubleValue)
        case .bytea: return .blob(try cell.decode(Data.self))
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// A statement on PostgreSQL: the text is sent each time (the server plans it quickly; the
/// SQLite engine is where preparing once paid).
struct PostgresStoreStatement: StoreStatement {
    let connection: PostgresStoreConnection
    let sql: String
    func execute(arguments: StoreArguments) throws { _ = try connection.query(sql, arguments) }
    func fetchAll(arguments: StoreArguments) throws -> [StoreRow] { try connection.query(sql, arguments) }
}

/// The few rewrites the store's SQL needs on PostgreSQL, done once per distinct text.
enum PostgresDialect {
    private static let cache = TranslationCache()

    /// `?` → `$1…$n` outside literals and quoted names; a parameter whose only use is
    /// `? IS [NOT] NULL` gets a type (PostgreSQL cannot infer one from IS NULL alone).
    static func translate(_ sql: String) -> String {
        if let cached = cache.get(sql) { return cached }
        var out = ""
        out.reserveCapacity(sql.count + 16)
        var number = 0
        var quote: Character? = nil
        let characters = Array(sql)
        var i = 0
        while i < characters.count {
            let c = characters[i]
            if let q = quote {
                out.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                number += 1
                let rest = String(characters[(i + 1)...].prefix(16)).uppercased()
                if rest.hasPrefix(" IS NULL") || rest.hasPrefix(" IS NOT NULL") {
                    out += "CAST($\(number) AS TEXT)"
                } else {
                    out += "$\(number)"
                }
            } else {
                out.append(c)
            }
            i += 1
        }
        cache.put(sql, out)
        return out
    }

    /// Whether the text holds more than one statement.
    static func hasSeveralStatements(_ sql: String) -> Bool { statements(sql).count > 1 }

    /// A script cut into its statements at `;` outside literals, quoted names, `--` comments and
    /// `$$` bodies (postgres-nio speaks the extended protocol, which takes one statement at a time).
    static func statements(_ sql: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quote: Character? = nil
        var inComment = false
        var inDollarBody = false
        var previous: Character = " "
        for c in sql {
            defer { previous = c }
            if inComment {
                if c == "\n" { inComment = false }
                current.append(c)
                continue
            }
            if let q = quote {
                if c == q { quote = nil }
                current.append(c)
                continue
            }
            if c == "$" && previous == "$" {
                inDollarBody.toggle()
            } else if !inDollarBody {
                if c == "-" && previous == "-" {
                    inComment = true
                } else if c == "'" || c == "\"" {
                    quote = c
                } else if c == ";" {
                    let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !statement.isEmpty { result.append(statement) }
                    current = ""
                    continue
                }
            }
            current.append(c)
        }
        let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !statement.isEmpty && !statement.split(separator: "\n").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }) {
            result.append(statement)
        }
        return result
    }

    private final class TranslationCache: @unchecked Sendable {
        private let lock = NSLock()
        private var map: [String: String] = [:]
        func get(_ key: String) -> String? {
            lock.lock()
            defer { lock.unlock() }
            return map[key]
        }
        func put(_ key: String, _ value: String) {
            lock.lock()
            defer { lock.unlock() }
            if map.count < 4096 { map[key] = value }
        }
    }
}
