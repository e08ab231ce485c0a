#if DEBUG
import Foundation

/// Faults that integration tests switch on through `BOLLARD_TEST_FAULT`;
/// compiled into debug builds only, so a release daemon has no such switch.
///
/// - `stall-<loop>`: the loop's next beat never returns, as if the loop were
///   stuck in a call (`stall-sync` stalls the sync thread).
/// - `throw-source`: every read source throws at start.
public enum TestFault {
    public static let active: String? = ProcessInfo.processInfo.environment["BOLLARD_TEST_FAULT"].flatMap { $0.isEmpty ? nil : $0 }

    public static func isActive(_ fault: String) -> Bool { active == fault }

    /// The fault a read source throws under `throw-source`.
    public struct Injected: Error, CustomStringConvertible {
        public var fault: String
        public var description: String { "test fault \(fault) injected" }
        public init(fault: String) { self.fault = fault }
    }

    static func stallIfAsked(loop: String) {
        guard let active, active == "stall-" + loop else { return }
        while true { Thread.sleep(forTimeInterval: 3600) }
    }
}
#endif
