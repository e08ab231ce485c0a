import Domain
import Foundation
import Synchronization

/// The permit set in memory, shared by the decision path and the sync
/// thread. The decision reads a consistent (index, holidays, gate) under a
/// short lock; `PermitIndex` is a value, so readers never see a half-applied change.
///
/// With a database, a permit change goes through `commit`: SQLite first (the
/// change survives a crash), then the index, in one call, so the two cannot
/// disagree because a caller forgot one of them.
public final class PermitStore: Sendable {
    public struct State: Sendable {
        public var index: PermitIndex
        public var seq: Int64
        public var gate: Gate
        public var holidays: HolidayCalendar
    }

    private let state: Mutex<State>
    /// Where changes are committed before the index sees them; nil keeps the set in memory only (tests).
    private let database: EventBuffer?

    public init(index: PermitIndex, seq: Int64, gate: Gate, holidays: HolidayCalendar, database: EventBuffer? = nil) {
        state = Mutex(State(index: index, seq: seq, gate: gate, holidays: holidays))
        self.database = database
    }

    /// The set stored in `database`, which later changes are committed to.
    public convenience init(loadingFrom database: EventBuffer, gate: Gate, holidays: HolidayCalendar) throws {
        let stored = try database.loadPermitIndex()
        self.init(index: stored.index, seq: stored.seq, gate: gate, holidays: holidays, database: database)
    }

    /// Stores consecutive changes and the sequence now held (one transaction), then applies them to the index.
    public func commit(changes: [Permit], heldSeq: Int64) throws {
        try database?.apply(changes: changes, heldSeq: heldSeq)
        apply(changes: changes, heldSeq: heldSeq)
    }

    /// Installs the staged snapshot in SQLite (one transaction), then the index from what was stored.
    /// Returns how many permits the set holds now.
    @discardableResult
    public func commitSnapshot(baseSeq: Int64) throws -> Int {
        guard let database else { return snapshot.index.count }
        try database.commitSnapshot(baseSeq: baseSeq)
        let stored = try database.loadPermitIndex()
        replace(with: stored.index, seq: stored.seq)
        return stored.index.count
    }

    public var snapshot: State { state.withLock { $0 } }
    public var seq: Int64 { state.withLock { $0.seq } }

    /// Decides a read against the current set.
    public func decide(_ read: PlateRead, policy: DecisionPolicy) -> Decision {
        state.withLock { state in
            Domain.decide(read, at: state.gate, permits: state.index, holidays: state.holidays, policy: policy)
        }
    }

    /// The index only: callers with a database use `commit(changes:heldSeq:)`.
    func apply(changes: [Permit], heldSeq: Int64) {
        state.withLock { state in
            for permit in changes where (state.index.permit(id: permit.id)?.seq ?? Int64.min) < permit.seq {
                state.index.upsert(permit)
            }
            state.seq = heldSeq
        }
    }

    /// The index only: callers with a database use `commitSnapshot(baseSeq:)`.
    func replace(with index: PermitIndex, seq: Int64) {
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
