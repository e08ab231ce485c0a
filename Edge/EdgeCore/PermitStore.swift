import Domain
import Foundation
import Synchronization

/// The permit set in memory, shared by the decision path and the sync
/// thread. The decision reads a consistent (index, holidays, gate) under a
/// short lock; `PermitIndex` is a value, so readers never see a half-applied change.
public final class PermitStore: Sendable {
    public struct State: Sendable {
        public var index: PermitIndex
        public var seq: Int64
        public var gate: Gate
        public var holidays: HolidayCalendar
    }

    private let state: Mutex<State>

    public init(index: PermitIndex, seq: Int64, gate: Gate, holidays: HolidayCalendar) {
        state = Mutex(State(index: index, seq: seq, gate: gate, holidays: holidays))
    }

    public var snapshot: State { state.withLock { $0 } }
    public var seq: Int64 { state.withLock { $0.seq } }

    /// Decides a read against the current set.
    public func decide(_ read: PlateRead, policy: DecisionPolicy) -> Decision {
        state.withLock { state in
            Domain.decide(read, at: state.gate, permits: state.index, holidays: state.holidays, policy: policy)
        }
    }

    public func apply(changes: [Permit], heldSeq: Int64) {
        state.withLock { state in
            for permit in changes where (state.index.permit(id: permit.id)?.seq ?? Int64.min) < permit.seq {
                state.index.upsert(permit)
            }
            state.seq = heldSeq
        }
    }

    public func replace(with permits: [Permit], seq: Int64) {
        let index = PermitIndex(permits)
        state.withLock { state in
            state.index = index
            state.seq = seq
        }
    }

    public func update(gate: Gate, holidays: HolidayCalendar) {
        state.withLock { state in
            state.gate = gate
            state.holidays = holidays
        }
    }
}
