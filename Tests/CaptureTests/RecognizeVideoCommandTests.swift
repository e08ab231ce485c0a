import Foundation
import Testing

/// Runs the built `bollard-edge` (found beside the test bundle, as the integration tests do).
func runEdge(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("bollard-edge").path), directory.path != "/" {
        directory.deleteLastPathComponent()
    }
    let process = Process()
    process.executableURL = directory.appendingPathComponent("bollard-edge")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

@Suite("bollard-edge recognize --video")
struct RecognizeVideoCommandTests {
    @Test("On a generated video of two cars it prints exactly two JSON lines, one per car, and a summary on stderr", .timeLimit(.minutes(2)))
    func twoCars() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestVideo.twoCars(path: dir + "/two.y4m")
        let result = try runEdge(["recognize", "--video", dir + "/two.y4m", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("{\"frame\": ") == true)
        #expect(lines.first?.contains("\"text\": \"6307HHP\"") == true)
        #expect(lines.last?.contains("\"text\": \"4540GXV\"") == true)
        #expect(result.stderr.contains("frames 32 (") && result.stderr.contains("frames/s") && result.stderr.contains("ms per frame"))
    }

    @Test("A corrupt video exits 1 with an error naming the frame and byte offset")
    func corruptVideo() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("YUV4MPEG2 W4 H2 Cmono\nFRAME\n12345678FRAMX\n".utf8).write(to: URL(fileURLWithPath: dir + "/bad.y4m"))
        let result = try runEdge(["recognize", "--video", dir + "/bad.y4m"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("frame 1 at byte 36"))
    }
}
