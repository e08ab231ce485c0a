import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files and folders only the service's own user may read, whatever the umask: secret keys,
/// databases (they hold plates, which are personal data) and the folders that hold them.
/// Each is created with its final mode from the first byte, never made private afterwards.
public enum PrivateFiles {
    /// A file-system call that failed, with the path and errno.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    /// A secret key file that group or others may read; the service refuses to start with it.
    public struct ExposedSecret: Error, CustomStringConvertible {
        public var path: String
        public var mode: mode_t
        public var description: String {
            "secret key file \(path) has mode \(String(mode, radix: 8)): group or others may read it; run 'chmod 600 \(path)'"
                + " and consider the key disclosed (make a new pair and register it with --replace-key)"
        }
    }

    /// Creates `path` (and missing parents) as a 0700 folder; an existing folder is left as it is.
    public static func makeDirectory(atPath path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, !FileManager.default.fileExists(atPath: parent) {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw Failure(path: path, operation: "mkdir", errno: errno) }
        // mkdir's mode is masked by the umask; only chmod makes it exactly 0700.
        guard chmod(path, 0o700) == 0 else { throw Failure(path: path, operation: "chmod", errno: errno) }
    }

    /// Creates an empty 0600 file at `path` unless one exists: SQLite then makes its journal, WAL and
    /// shared-memory files with the same mode as the database, instead of 0644 less the umask.
    public static func prepareDatabaseFile(atPath path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw Failure(path: path, operation: "create", errno: errno)
        }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw Failure(path: path, operation: "chmod", errno: errno) }
    }

    /// Writes `data` to a new file at `path` with `mode`, refusing to replace an existing file.
    /// The bytes go to a temporary file that has `mode` from its creation (O_EXCL, fchmod before
    /// the first write), are synced, then linked into place, so `path` never holds a partial key.
    public static func writeNewFile(atPath path: String, data: Data, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0o600)
        guard fd >= 0 else { throw Failure(path: temporary, operation: "create", errno: errno) }
        defer { unlink(temporary) }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw Failure(path: temporary, operation: "chmod", errno: errno) }
            try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                var written = 0
                while written < buffer.count {
                    let result = write(fd, buffer.baseAddress! + written, buffer.count - written)
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw Failure(path: temporary, operation: "write", errno: errno)
                    }
                    written += result
                }
            }
            guard fsync(fd) == 0 else { throw Failure(path: temporary, operation: "fsync", errno: errno) }
        }
        // link(2), unlike rename(2), fails when `path` exists: a secret key is never overwritten.
        guard link(temporary, path) == 0 else { throw Failure(path: path, operation: "create", errno: errno) }
        let folder = (path as NSString).deletingLastPathComponent
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    /// Throws `ExposedSecret` when group or others have any access to `path`.
    public static func checkPrivate(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(path: path, operation: "stat", errno: errno) }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 { throw ExposedSecret(path: path, mode: mode) }
    }
}
