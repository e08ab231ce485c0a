import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real small filesystem: tmpfs mounted in a temporary folder, or, where
/// mounting tmpfs is refused, a loop-mounted ext2 image. Tests that need one
/// are skipped (and say so) when neither works.
public final class SmallFilesystem {
    public enum Kind: String { case tmpfs, loopImage = "loop-mounted image" }

    public let path: String
    public let kind: Kind
    private let image: String?
    /// The temporary folder this made (the default mount point, a loop image), removed at the end.
    private let madeFolder: String

    /// - Parameter mountPoint: a folder to mount over (a test's data folder); default a new temporary one.
    public init?(bytes: Int, at mountPoint: String? = nil) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-smallfs-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        madeFolder = base
        path = mountPoint ?? base + "/mnt"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path]) {
            kind = .tmpfs
            image = nil
            return
        }
        let file = base + "/image"
        guard FileManager.default.createFile(atPath: file, contents: Data(count: bytes)),
            Self.run("/sbin/mkfs.ext2", ["-q", "-F", file]) || Self.run("/usr/sbin/mkfs.ext2", ["-q", "-F", file]),
            Self.run("/bin/mount", ["-o", "loop", file, path])
        else {
            try? FileManager.default.removeItem(atPath: base)
            return nil
        }
        kind = .loopImage
        image = file
    }

    deinit {
        _ = Self.run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: madeFolder)
    }

    /// Writes a filler file until the filesystem refuses another byte.
    public func fill(_ name: String = "filler") {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xAA, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        var byte: UInt8 = 0
        while write(fd, &byte, 1) > 0 {}
    }

    public func free(_ name: String = "filler") { unlink(path + "/" + name) }

    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) -> Bool {
        guard FileManager.default.fileExists(atPath: tool) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
