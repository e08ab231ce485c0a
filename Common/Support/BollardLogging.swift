import Logging
import Synchronization

/// Process-wide logging set-up, called once by each executable's entry point
/// (never by libraries or tests). Logs go to stderr, one line per entry,
/// which journald captures as they are.
///
/// The level is one process-wide setting every logger reads on each entry,
/// so `bollardctl log-level debug` changes it at once, for every logger,
/// until the daemon restarts.
public enum BollardLogging {
    private static let level = Mutex(Logger.Level.info)

    public static func bootstrap(level: Logger.Level) {
        self.level.withLock { $0 = level }
        LoggingSystem.bootstrap { label in
            ProcessLevelLogHandler(inner: StreamLogHandler.standardError(label: label))
        }
    }

    /// The level in force for every logger of the process.
    public static var currentLevel: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}

/// Forwards to a stream handler, with the level taken from `BollardLogging.currentLevel`
/// (setting a logger's own level has no effect: the process has one level).
struct ProcessLevelLogHandler: LogHandler {
    var inner: StreamLogHandler

    var logLevel: Logger.Level {
        get { BollardLogging.currentLevel }
        set {}
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
    }
}

extension Logger.Level {
    /// Parses "trace", "debug", "info", "notice", "warning", "error", "critical".
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}
