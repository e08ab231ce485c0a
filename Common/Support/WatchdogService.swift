import Logging
import ServiceLifecycle

/// Feeds systemd's watchdog only while the daemon's loops make progress.
///
/// Every half of `WATCHDOG_USEC` it asks the ``ProgressMonitor``: when every
/// registered loop beat within its deadline it sends `WATCHDOG=1`; when one
/// did not, it sends no ping, logs which loop stalled and says so in
/// `STATUS=`, so systemd restarts a daemon that is alive but doing nothing.
/// Without `WATCHDOG_USEC` it still checks (every 5 s) and logs stalls.
///
/// It is the last service of each group, so it is the first told to stop:
/// it sends `STOPPING=1` as shutdown begins.
public struct WatchdogService: Service, CustomStringConvertible {
    let monitor: ProgressMonitor
    let notifier: SystemdNotifier
    let interval: Duration?
    let logger: Logger
    public var description: String { "watchdog" }

    /// - Parameter interval: systemd's watchdog period (`WATCHDOG_USEC`), nil when it set none.
    public init(monitor: ProgressMonitor, notifier: SystemdNotifier, interval: Duration?, logger: Logger) {
        self.monitor = monitor
        self.notifier = notifier
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let period = interval.map { $0 / 2 } ?? .seconds(5)
        let clock = ContinuousClock()
        var reported: [String] = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let stalls = monitor.stalls(at: clock.now)
            if stalls.isEmpty {
                if interval != nil { notifier.watchdog() }
                if !reported.isEmpty {
                    logger.notice("all loops progressing again; watchdog pings resume")
                    notifier.status("running")
                    reported = []
                }
            } else if stalls.map(\.loop) != reported {
                reported = stalls.map(\.loop)
                for stall in stalls {
                    logger.critical(
                        "loop stalled; watchdog pings stopped",
                        metadata: ["loop.name": "\(stall.loop)", "loop.silence": "\(stall.silence)", "loop.deadline": "\(stall.deadline)"])
                }
                notifier.status("stalled: " + stalls.map(\.description).joined(separator: "; "))
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: period, clock: clock) }
        }
        notifier.stopping()
        logger.info("stopping")
    }
}
