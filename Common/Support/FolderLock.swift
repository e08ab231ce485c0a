import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (flock) on a file, held while a closure runs: processes on one
/// host that start at once on one data folder take turns at creating keys and migrating the
/// database, instead of both creating (one refused) or both migrating (one failing half-way).
/// The lock goes with the file descriptor, so a process that dies holding it releases it.
public enum FolderLock {
    public static func exclusively<T>(path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFiles.Failure(path: path, operation: "open lock", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw PrivateFiles.Failure(path: path, operation: "flock", errno: errno) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
