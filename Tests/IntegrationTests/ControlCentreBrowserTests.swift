import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The control centre in a real browser: `bollard-central demo` with three
/// simulated gates serves the dashboard; headless Chromium (driven by
/// Tests/Browser/dashboard_check.py over its DevTools pipe) signs in, checks
/// the pages show the data, confirms one case by pressing `c`, and saves screenshots.
@Suite struct ControlCentreBrowserTests {
    static let chromiumInstalled = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains { FileManager.default.isExecutableFile(atPath: $0) }

    /// What a child prints, collected on a background thread.
    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func append(_ data: Data) { lock.withLock { text += String(decoding: data, as: UTF8.self) } }
        var value: String { lock.withLock { text } }
    }

    @Test(
        "the dashboard and review page show a running demo central's data, and `c` confirms the selected case",
        .enabled(if: chromiumInstalled, "chromium is not installed (Debian package chromium; `make deps` installs it)"))
    func dashboardInChromium() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-browser-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let demo = Process()
        demo.executableURL = Cluster.binDirectory.appendingPathComponent("bollard-central")
        demo.arguments = [
            "demo", "--gates", "3", "--http", "127.0.0.1:0", "--data-dir", root.appendingPathComponent("demo").path,
            "--reads-per-minute", "240",
        ]
        let pipe = Pipe()
        demo.standardOutput = pipe
        demo.standardError = FileHandle.nullDevice
        let output = Output()
        pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
        try demo.run()
        defer {
            if demo.isRunning { kill(demo.processIdentifier, SIGINT) }
            demo.waitUntilExit()
            pipe.fileHandleForReading.readabilityHandler = nil
        }
        // The demo prints the URL and one token per role once it listens.
        let deadline = Date().addingTimeInterval(60)
        var url: String?
        var token: String?
        while Date() < deadline, url == nil || token == nil, demo.isRunning {
            for line in output.value.split(separator: "\n") {
                if line.hasPrefix("control centre:"), let range = line.range(of: "http://127.0.0.1:") {
                    url = String(line[range.lowerBound...].prefix { $0 != " " })
                }
                if line.contains("operator:"), let start = line.range(of: "bt_") { token = String(line[start.lowerBound...]) }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let base = try #require(url, "the demo printed no control centre URL: \(output.value)")
        let operatorToken = try #require(token, "the demo printed no operator token")

        let shots = root.appendingPathComponent("screenshots").path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/dashboard_check.py").path
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", script, base, operatorToken, shots]
        let checkPipe = Pipe()
        check.standardOutput = checkPipe
        check.standardError = checkPipe
        try check.run()
        let said = String(decoding: checkPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        print(said)
        #expect(check.terminationStatus == 0, "browser check failed: \(said)")
        for name in ["dashboard.png", "queue.png", "after-confirm.png"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/" + name), "no screenshot \(name)")
        }
    }
}
