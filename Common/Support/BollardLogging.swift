import Logging

/// Process-wide logging set-up, called once by each executable's entry point
/// (never by libraries or tests). Logs go to stderr, one line per entry,
/// which journald captures as they are.
public enum BollardLogging {
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level {
    /// Parses "trace", "debug", "info", "notice", "warning", "error", "critical".
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}
