#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Logging
import Synchronization

/// Process-wide logging set-up, called once by each executable's entry point
/// (never by libraries or tests). Logs go to stderr, one line per entry.
///
/// Under systemd (`JOURNAL_STREAM` names our stderr) each line starts with
/// its syslog priority, `<3>` … `<7>`, which journald reads as the entry's
/// priority (sd-daemon(3)), and drops the timestamp journald adds itself;
/// otherwise lines look like swift-log's `StreamLogHandler`. The level is
/// one for the whole process, so SIGHUP (or `bollardctl log-level`) can
/// change it for every logger already made.
public enum BollardLogging {
    static let level = Mutex(Logger.Level.info)

    public static func bootstrap(level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment) {
        setLevel(level)
        let journal = writesToJournal(environment: environment)
        LoggingSystem.bootstrap { label in BollardLogHandler(label: label, journal: journal) }
    }

    /// The level every logger of this process logs at from now on.
    public static func setLevel(_ newLevel: Logger.Level) { level.withLock { $0 = newLevel } }
    /// The level in force for every logger of the process (SIGHUP and `bollardctl log-level` set it).
    public static var currentLevel: Logger.Level {
        get { level.withLock { $0 } }
        set { setLevel(newValue) }
    }

    /// syslog priorities, as journald stores them: trace and debug are both debug (7).
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// True when stderr is the journal stream systemd set up (`JOURNAL_STREAM=DEV:INODE` matches fd 2),
    /// not a pipe or file the daemon's stderr was redirected to since.
    static func writesToJournal(environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// One log line, as `BollardLogHandler` writes it.
    public static func format(
        level: Logger.Level, label: String, metadata: String?, source: String, message: String, journal: Bool, timestamp: @autoclosure () -> String
    ) -> String {
        let body = "\(level)\(label.isEmpty ? "" : " ")\(label):\(metadata.map { " \($0)" } ?? "") [\(source)] \(message)"
        // A message with a newline would start a new journal entry without a priority: keep one entry per event.
        let oneLine = body.contains(where: \.isNewline) ? body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ⏎ ") : body
        return journal ? "<\(syslogPriority(level))>\(oneLine)\n" : "\(timestamp()) \(oneLine)\n"
    }
}

/// Writes each entry as one `write(2)` to stderr, so lines from several threads never interleave.
struct BollardLogHandler: LogHandler {
    let label: String
    let journal: Bool
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    /// Set only when code sets one logger's level; otherwise the process-wide level applies.
    private var ownLevel: Logger.Level?

    init(label: String, journal: Bool) {
        self.label = label
        self.journal = journal
    }

    var logLevel: Logger.Level {
        get { ownLevel ?? BollardLogging.currentLevel }
        set { ownLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        let pretty = merged.isEmpty ? nil : merged.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        let line = BollardLogging.format(
            level: event.level, label: label, metadata: pretty, source: event.source, message: event.message.description, journal: journal,
            timestamp: Self.timestamp())
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Logger.Level {
    /// Parses "trace", "debug", "info", "notice", "warning", "error", "critical".
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}
