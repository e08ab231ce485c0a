import Foundation
import Synchronization

/// The shared, locked `CameraState`: the capture thread writes, health reads.
public final class CameraMonitor: Sendable {
    private let state: Mutex<CameraState>
    /// Capture times of the recent frames, for the measured rate.
    private let recent = Mutex<[Date]>([])

    public init(device: String) {
        state = Mutex(CameraState(device: device))
    }

    /// A copy of the current state.
    public var snapshot: CameraState { state.withLock { $0 } }

    func update(_ body: (inout CameraState) -> Void) {
        state.withLock { body(&$0) }
    }

    func noteFrame(at date: Date) {
        let rate: Double = recent.withLock { times in
            times.append(date)
            if times.count > 30 { times.removeFirst(times.count - 30) }
            guard times.count >= 2, let first = times.first, date.timeIntervalSince(first) > 0 else { return 0 }
            return Double(times.count - 1) / date.timeIntervalSince(first)
        }
        state.withLock {
            $0.framesCaptured += 1
            $0.lastFrameAt = date
            $0.measuredFramesPerSecond = rate
        }
    }

    /// Counts a frame the consumer analysed (`true`) or let skip the recogniser.
    public func noteAnalysed(_ analysed: Bool) {
        state.withLock { if analysed { $0.framesAnalysed += 1 } else { $0.framesSkipped += 1 } }
    }

    func noteDropped() {
        state.withLock { $0.framesDropped += 1 }
    }

    func noteStopped(_ error: (any Error)?) {
        recent.withLock { $0.removeAll() }
        state.withLock {
            $0.streaming = false
            $0.measuredFramesPerSecond = 0
            if let error { $0.lastError = "\(error)" }
        }
    }
}
