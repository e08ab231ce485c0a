import BollardSupport
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Space set aside beside the database while the disk has room, and given
/// back the moment SQLite cannot commit: a full disk then still takes the
/// decisions being made, and later the acknowledgements and checkpoint that
/// free it. Recreated once the volume has room for it twice over.
public final class DiskReserve: Sendable {
    /// A few MiB: thousands of events, and a checkpoint's worth of WAL.
    public static let defaultBytes: Int64 = 4 << 20

    public let path: String
    public let bytes: Int64
    private let released = Atomic<Bool>(false)

    public init(path: String, bytes: Int64) {
        self.path = path
        self.bytes = max(0, bytes)
        released.store(bytes <= 0 || !FileManager.default.fileExists(atPath: path), ordering: .relaxed)
    }

    /// Whether the reserve has been given back (or could not be made).
    public var isReleased: Bool { bytes > 0 && released.load(ordering: .acquiring) }

    /// Deletes the reserve file. Returns whether there was one to give.
    @discardableResult
    public func release() -> Bool {
        guard bytes > 0, !released.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        unlink(path)
        return true
    }

    /// When the reserve is spent, writes other than acknowledgements stop at
    /// half of it left free; returns the free bytes when that point is reached.
    func headroomShortfall(freeBytes: Int64) -> Int64? {
        guard isReleased, freeBytes >= 0, freeBytes < bytes / 2 else { return nil }
        return freeBytes
    }

    /// Makes the reserve file if it is missing and the volume has room for it twice over.
    public func restoreIfSpace() {
        guard bytes > 0, released.load(ordering: .acquiring) else { return }
        let directory = (path as NSString).deletingLastPathComponent
        guard DiskSpace.freeBytes(atPath: directory) >= 2 * bytes else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        // Real blocks, not a sparse file: the space must be taken now to be given later.
        let allocated = posix_fallocate(fd, 0, off_t(bytes)) == 0 && fsync(fd) == 0
        close(fd)
        if allocated {
            released.store(false, ordering: .releasing)
        } else {
            unlink(path)
        }
    }
}
