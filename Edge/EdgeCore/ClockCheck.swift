import Domain
import Synchronization

/// What the gate knows about its own clock, measured against central's.
///
/// Time windows and validity are judged on the gate's wall clock. When
/// central's answers show that clock is off by more than the allowed skew,
/// the gate keeps deciding (authorised vehicles still pass) but no longer
/// fines on a time it cannot trust: would-be violations go to review.
public final class ClockCheck: Sendable {
    private let offset = Mutex<Int64?>(nil)
    /// The largest difference from central's clock still trusted; SIGHUP may change it.
    public var maxSkewMilliseconds: Int64 {
        get { maxSkew.load(ordering: .relaxed) }
        set { maxSkew.store(newValue, ordering: .relaxed) }
    }
    private let maxSkew: Atomic<Int64>

    public init(maxSkewMilliseconds: Int64 = 10_000) {
        maxSkew = Atomic(maxSkewMilliseconds)
    }

    /// Central's clock minus the gate's, as last measured; nil before central answered.
    public var offsetMilliseconds: Int64? {
        get { offset.withLock { $0 } }
        set { offset.withLock { $0 = newValue } }
    }

    /// True unless a measurement shows the clock off by more than the allowed skew.
    public var isTrusted: Bool {
        guard let measured = offsetMilliseconds else { return true }
        return abs(measured) <= maxSkewMilliseconds
    }

    /// A violation becomes a review while the clock is not trusted; other decisions stand.
    public func vet(_ decision: Decision) -> Decision {
        guard case .notAuthorised = decision, let measured = offsetMilliseconds, abs(measured) > maxSkewMilliseconds else {
            return decision
        }
        return .needsReview(.clockUntrusted(offsetMilliseconds: measured))
    }
}
