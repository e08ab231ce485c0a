/// Central's schema on PostgreSQL (placeholder until the baseline lands).
enum PostgresSchema {
    static let migrations: [(name: String, sql: String)] = []
}
