#if canImport(Glibc)
import Glibc
#endif

/// Free space on the volume holding a path, for health reports (a gate's, central's own).
public enum DiskSpace {
    /// Bytes an unprivileged writer may still use there; -1 when the path cannot be read.
    public static func freeBytes(atPath path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return -1 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
