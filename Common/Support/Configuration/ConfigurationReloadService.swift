import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// SIGHUP (`systemctl reload`) reads the configuration again from the same
/// file, environment and flags, and applies the keys marked reloadable.
///
/// Keys that need a restart are left as they run and named in the log, so
/// the technician knows a restart is still due. A file that no longer reads
/// is refused with its errors and the running configuration stays: a reload
/// never stops a gate. The signal goes through `UnixSignalsSequence`, not a
/// raw handler (STYLE P3).
public final class ConfigurationReloadService<Root: Sendable>: Service, Sendable {
    public let reader: ConfigurationReader<Root>
    let sources: ConfigurationReader<Root>.Sources
    let running: Mutex<Root>
    let apply: @Sendable (Root) -> Void
    let logger: Logger

    /// - Parameters:
    ///   - running: the configuration the daemon was started with.
    ///   - apply: makes the daemon use the reloadable values of the configuration it is given.
    public init(
        reader: ConfigurationReader<Root>, sources: ConfigurationReader<Root>.Sources, running: Root, logger: Logger,
        apply: @escaping @Sendable (Root) -> Void
    ) {
        self.reader = reader
        self.sources = sources
        self.running = Mutex(running)
        self.apply = apply
        self.logger = logger
    }

    /// What one reload did.
    public struct Outcome: Sendable, Equatable {
        /// Reloadable keys whose new values now apply.
        public var applied: [String]
        /// Keys whose new values wait for a restart.
        public var restartNeeded: [String]
        /// Why the new configuration was refused; nil when it was read.
        public var refused: String?

        public init(applied: [String], restartNeeded: [String], refused: String?) {
            self.applied = applied
            self.restartNeeded = restartNeeded
            self.refused = refused
        }
    }

    public var current: Root { running.withLock { $0 } }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            reload()
        }
    }

    @discardableResult
    public func reload() -> Outcome {
        let fresh: Root
        do {
            fresh = try reader.load(sources).value
        } catch {
            logger.error(
                "configuration reload refused; the running configuration stays",
                metadata: ["config.file": "\(sources.file ?? "none")", "error": "\(error)"])
            return Outcome(applied: [], restartNeeded: [], refused: "\(error)")
        }
        let (applied, waiting, updated) = running.withLock { current -> ([String], [String], Root) in
            let changed = reader.differences(current, fresh)
            current = reader.reloading(current, from: fresh)
            return (changed.filter(\.reloadable).map(\.name), changed.filter { !$0.reloadable }.map(\.name), current)
        }
        if !applied.isEmpty { apply(updated) }
        let text = { (names: [String]) -> Logger.MetadataValue in names.isEmpty ? "none" : .string(names.joined(separator: ", ")) }
        if waiting.isEmpty {
            logger.notice("configuration reloaded", metadata: ["config.changed": text(applied)])
        } else {
            logger.warning(
                "configuration reloaded; some changes need a restart",
                metadata: ["config.changed": text(applied), "config.restart_needed": text(waiting)])
        }
        return Outcome(applied: applied, restartNeeded: waiting, refused: nil)
    }
}
