import BollardSupport
import Testing

@Suite struct ProgressMonitorTests {
    @Test("a loop silent beyond its deadline is reported by name; a loop that beat is not")
    func stallsByName() {
        let monitor = ProgressMonitor()
        let sync = monitor.register("sync", deadline: .seconds(10))
        let socket = monitor.register("diagnostics", deadline: .seconds(10))
        let now = ContinuousClock.now
        sync.beat()
        socket.beat()
        #expect(monitor.stalls(at: now + .seconds(5)).isEmpty)
        let later = monitor.stalls(at: now + .seconds(11))
        #expect(later.map(\.loop) == ["sync", "diagnostics"])
        #expect(later[0].description.contains("loop sync"))
    }

    @Test("silence is measured from the last beat on the monotonic clock")
    func silenceFromLastBeat() {
        let reporter = ProgressReporter(name: "sync", deadline: .seconds(1))
        let before = ContinuousClock.now
        reporter.beat()
        let after = ContinuousClock.now
        #expect(reporter.silence(at: after + .seconds(2)) >= .seconds(2))
        #expect(reporter.silence(at: after + .seconds(2)) <= before.duration(to: after) + .seconds(2))
    }

    @Test("a retired loop (a source that ended) no longer counts as stalled")
    func retiredLoopsIgnored() {
        let monitor = ProgressMonitor()
        let source = monitor.register("source.replay", deadline: .milliseconds(1))
        #expect(monitor.stalls(at: .now + .seconds(1)).count == 1)
        source.retire()
        #expect(monitor.stalls(at: .now + .seconds(1)).isEmpty)
    }

    @Test("ProgressReporter.sleep beats the task's reporter while it waits")
    func sleepBeats() async throws {
        let reporter = ProgressReporter(name: "source", deadline: .milliseconds(200))
        try await ProgressReporter.$current.withValue(reporter) {
            try await ProgressReporter.sleep(for: .milliseconds(400))
        }
        // The last beat came at most one slice (50 ms) before the sleep ended.
        #expect(reporter.silence(at: .now) < .milliseconds(100))
    }
}
