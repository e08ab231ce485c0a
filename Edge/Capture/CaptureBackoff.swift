/// Bounded exponential backoff between reopen attempts.
///
/// A value type so the policy is tested without a camera or a clock: each failure
/// doubles the wait up to `maximum`; a session that delivered frames starts again
/// from `initial`, so a camera that drops out once a day does not wait 30 s.
public struct CaptureBackoff: Sendable, Equatable {
    public let initial: Duration
    public let maximum: Duration
    public private(set) var attempts = 0

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The wait before the next attempt, after a session that ended with an error.
    /// - Parameter deliveredFrames: whether that session got any frame before it failed.
    public mutating func next(deliveredFrames: Bool) -> Duration {
        if deliveredFrames { attempts = 0 }
        defer { attempts += 1 }
        var delay = initial
        for _ in 0..<min(attempts, 32) where delay < maximum { delay = delay * 2 }
        return min(delay, maximum)
    }
}
