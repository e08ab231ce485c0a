import BollardSupport
import Foundation
import TestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct WatchdogServiceTests {
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    @Test("the watchdog pings while every loop beats, stops when one stalls, and STATUS names it")
    func pingsOnlyWhileProgressing() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-wd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let listener = try NotifyListener(path: folder + "/notify.sock")
        defer { listener.close() }
        let monitor = ProgressMonitor()
        let healthy = monitor.register("healthy", deadline: .seconds(2))
        let stalling = monitor.register("stalling", deadline: .seconds(2))
        let stallNow = Flag()
        let watchdog = WatchdogService(
            monitor: monitor, notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path]), interval: .milliseconds(100),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let group = ServiceGroup(configuration: .init(services: [.init(service: watchdog)], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // The loops beat from a thread of their own, as the daemons' loops do.
            let done = Flag()
            Thread {
                while !done.value.load(ordering: .relaxed) {
                    healthy.beat()
                    if !stallNow.value.load(ordering: .relaxed) { stalling.beat() }
                    Thread.sleep(forTimeInterval: 0.01)
                }
            }.start()
            defer { done.value.store(true, ordering: .relaxed) }
            #expect(try await listener.wait(for: "WATCHDOG=1", timeout: .seconds(5)) != nil)
            stallNow.value.store(true, ordering: .relaxed)
            let status = try #require(try await listener.wait(for: "STATUS=stalled", timeout: .seconds(10)))
            #expect(status.text.contains("stalling"))
            #expect(!status.text.contains("healthy"))
            // Five watchdog periods later, still no ping since the STATUS.
            try await Task.sleep(for: .milliseconds(500))
            #expect(listener.pings(after: status.at) == 0)
            await group.triggerGracefulShutdown()
            #expect(try await listener.wait(for: "STOPPING=1", timeout: .seconds(5)) != nil)
            tasks.cancelAll()
        }
    }
}
