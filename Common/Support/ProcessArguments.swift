import Foundation

/// The command line, even where Swift's `CommandLine.arguments` comes back
/// empty: a library preloaded before the Swift runtime (libfaketime, which
/// the clock tests use to step a daemon's wall clock) can keep the runtime
/// from capturing argv. The kernel's copy in /proc/self/cmdline is always there.
public enum ProcessArguments {
    /// The arguments after the program name.
    public static var afterProgramName: [String] {
        let arguments = CommandLine.arguments.isEmpty ? kernelCopy() : CommandLine.arguments
        return Array(arguments.dropFirst())
    }

    static func kernelCopy() -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/self/cmdline") else { return [] }
        var parts = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if parts.last == "" { parts.removeLast() }
        return parts
    }
}
