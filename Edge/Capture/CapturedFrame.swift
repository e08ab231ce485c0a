import Foundation
import PlateRecognition

/// One frame's luma with the time the camera took it.
public struct CapturedFrame: Sendable {
    public var image: GrayImage
    /// The driver's frame counter (gaps mean the driver dropped frames).
    public var sequence: UInt32
    /// Wall-clock capture time, from the kernel's buffer timestamp.
    public var capturedAt: Date

    public init(image: GrayImage, sequence: UInt32, capturedAt: Date) {
        self.image = image
        self.sequence = sequence
        self.capturedAt = capturedAt
    }
}

/// Turns `CLOCK_MONOTONIC` times (the kernel's buffer timestamps) into wall-clock dates.
public enum MonotonicClock {
    /// Seconds since boot on `CLOCK_MONOTONIC`.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The wall-clock time of a monotonic instant: now minus how long ago it was.
    /// A stamp from the future (clock skew in a driver) counts as now.
    public static func wallClock(of monotonic: Double, nowMonotonic: Double = now(), nowWall: Date = Date()) -> Date {
        nowWall.addingTimeInterval(-max(0, nowMonotonic - monotonic))
    }
}
