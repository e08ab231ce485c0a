import Foundation

/// The engine central's tests run on. SQLite unless `BOLLARD_TEST_ENGINE=postgres`: the test command
/// runs central's suites a second time that way, against the throwaway cluster it started
/// (`scripts/with-postgres`, which exports `BOLLARD_TEST_POSTGRES_URL`).
public enum TestEngine {
    public static var isPostgres: Bool { ProcessInfo.processInfo.environment["BOLLARD_TEST_ENGINE"] == "postgres" }

    /// What `store =` names for a test's database at `path`: the path on SQLite; on PostgreSQL a database of
    /// the test cluster named after the path (created on first use), so that two stores opened on one
    /// path share one database, as two processes share one SQLite file.
    public static func store(forSQLitePath path: String) -> String {
        guard isPostgres else { return path }
        return databaseURL(name: "t" + stableHash(path))
    }

    /// A fresh database of the test cluster for one test cluster of processes.
    public static func freshDatabaseURL() -> String {
        databaseURL(name: "t" + stableHash(UUID().uuidString))
    }

    /// The test cluster's URL with `name` as the database, which exists once this returns.
    public static func databaseURL(name: String) -> String {
        guard let base = ProcessInfo.processInfo.environment["BOLLARD_TEST_POSTGRES_URL"], var components = URLComponents(string: base) else {
            fatalError("BOLLARD_TEST_ENGINE=postgres needs BOLLARD_TEST_POSTGRES_URL (make test starts a cluster: scripts/with-postgres)")
        }
        creationLock.lock()
        defer { creationLock.unlock() }
        if !created.contains(name) {
            let result = psql(base, "CREATE DATABASE \(name)")
            guard result.status == 0 || result.output.contains("already exists") else {
                fatalError("cannot create test database \(name): \(result.output)")
            }
            created.insert(name)
        }
        components.path = "/" + name
        return components.string ?? base
    }

    nonisolated(unsafe) private static var created: Set<String> = []
    private static let creationLock = NSLock()

    /// FNV-1a of the text, 16 hex digits: a database name that is the same in every process.
    static func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(format: "%016llx", hash)
    }

    /// Runs one statement with Debian's `psql` (installed with the server the test command starts).
    public static func psql(_ url: String, _ sql: String) -> (status: Int32, output: String) {
        let candidates = ["/usr/bin/psql"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin/psql" }
        guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return (127, "psql not found")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (127, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
