import ServiceLifecycle

extension ProgressReporter {
    /// The loop of a service that does one pass of work at a steady pace (retention, the stay
    /// rule, the gate's storage bounds): `pass` now and then every `interval` on the monotonic
    /// clock, beating before each pass and while waiting, until graceful shutdown or cancellation.
    /// A pass handles its own errors: one failed pass must not stop the service.
    public func repeating(every interval: Duration, _ pass: @escaping @Sendable () async -> Void) async {
        try? await cancelWhenGracefulShutdown {
            try await ProgressReporter.$current.withValue(self) {
                while !Task.isCancelled {
                    self.beat()
                    await pass()
                    try await ProgressReporter.sleep(for: interval)
                }
            }
        }
    }
}
