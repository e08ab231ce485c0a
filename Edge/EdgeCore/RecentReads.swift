import Domain
import Foundation
import PlateRecognition
import Synchronization
import WireProtocol

/// The last decisions the gate made, for `bollardctl reads --follow`: a
/// bounded list in memory (never on disk), each with a cursor the tool asks
/// from. Plates are kept whole here and masked when they leave, unless the
/// configuration allows showing them.
public final class RecentReads: Sendable {
    /// Reads kept; a client that falls further behind misses the oldest (and is told by the cursor gap).
    public static let capacity = 512

    private struct State {
        var reads: [DiagnosticsRead] = []
        var nextCursor: Int64 = 1
    }

    private let state = Mutex(State())

    public init() {}

    /// Records one decided read (with its event seq, or nil when the decision could not be stored).
    func record(_ read: PlateRead, decision: Decision, event: Event?) {
        let bare = event ?? Event(seq: 0, read: read, decision: decision)
        state.withLock { state in
            state.reads.append(DiagnosticsRead(
                cursor: state.nextCursor, seq: event?.seq, atMilliseconds: bare.atMilliseconds, plate: bare.plate, confidence: bare.confidence,
                kind: bare.kind, permitID: bare.permitID, reason: bare.reason, source: read.source))
            state.nextCursor += 1
            if state.reads.count > Self.capacity { state.reads.removeFirst(state.reads.count - Self.capacity) }
        }
    }

    /// The reads after `cursor`, oldest first, at most `limit`, and the cursor to ask from next.
    public func after(_ cursor: Int64, limit: Int = 256) -> (reads: [DiagnosticsRead], next: Int64) {
        state.withLock { state in
            let newer = state.reads.filter { $0.cursor > cursor }.prefix(limit)
            return (Array(newer), newer.last?.cursor ?? max(cursor, state.nextCursor - 1))
        }
    }
}

/// The camera's latest frame, kept in memory for `bollardctl camera snapshot`
/// (one frame: the image's pixel array is shared, not copied).
public final class LatestFrame: Sendable {
    private let frame = Mutex<(image: GrayImage, at: Date)?>(nil)

    public init() {}

    public func keep(_ image: GrayImage, at date: Date = Date()) {
        frame.withLock { $0 = (image, date) }
    }

    public var current: (image: GrayImage, at: Date)? { frame.withLock { $0 } }
}
