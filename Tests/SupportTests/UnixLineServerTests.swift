import BollardSupport
import Foundation
import Logging
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct UnixLineServerTests {
    let folder: String
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-line-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func server(limits: UnixLineServer.Limits = .init()) throws -> UnixLineServer {
        let server = try UnixLineServer(path: folder + "/s.sock", limits: limits, busyReply: "BUSY", logger: logger)
        server.start { "echo " + $0 }
        return server
    }

    /// A raw client that keeps its connection open.
    typealias Held = RawLineClient

    @Test("a client holding its connection open (asking again and again, or stalled mid-line) does not delay another client")
    func heldConnectionDoesNotBlockOthers() throws {
        let server = try server()
        defer { server.stop() }
        let busy = try Held(path: folder + "/s.sock")
        busy.send("one\n")
        #expect(busy.readLine() == "echo one")
        busy.send("half a requ")  // no newline: the old server waited 5 s for it
        let started = ContinuousClock.now
        let answer = try UnixLineClient.request(path: folder + "/s.sock", line: "other", timeoutSeconds: 5)
        #expect(answer == "echo other")
        #expect(started.duration(to: .now) < .seconds(1))
        busy.send("est\n")
        #expect(busy.readLine() == "echo half a request")
    }

    @Test("past the connection limit a client gets the busy line at once, and open connections are still served")
    func connectionLimit() throws {
        var limits = UnixLineServer.Limits()
        limits.maxConnections = 2
        let server = try server(limits: limits)
        defer { server.stop() }
        let first = try Held(path: folder + "/s.sock")
        let second = try Held(path: folder + "/s.sock")
        first.send("a\n")
        second.send("b\n")
        #expect(first.readLine() == "echo a")
        #expect(second.readLine() == "echo b")
        let third = try Held(path: folder + "/s.sock")
        #expect(third.readLine() == "BUSY")
        #expect(third.readLine() == nil)  // and closed
        first.send("again\n")
        #expect(first.readLine() == "echo again")
    }

    @Test("an idle connection is closed after the idle timeout, freeing its place")
    func idleTimeout() throws {
        var limits = UnixLineServer.Limits()
        limits.maxConnections = 1
        limits.idleTimeout = .milliseconds(300)
        let server = try server(limits: limits)
        defer { server.stop() }
        let idle = try Held(path: folder + "/s.sock")
        let started = ContinuousClock.now
        #expect(idle.readLine() == nil)
        let waited = started.duration(to: .now)
        #expect(waited >= .milliseconds(300) && waited < .seconds(3))
        #expect(try UnixLineClient.request(path: folder + "/s.sock", line: "next") == "echo next")
    }

    @Test("several requests on one connection are answered in order")
    func pipelined() throws {
        let server = try server()
        defer { server.stop() }
        let client = try Held(path: folder + "/s.sock")
        client.send("1\n2\n\n3\n")
        #expect(client.readLine() == "echo 1")
        #expect(client.readLine() == "echo 2")
        #expect(client.readLine() == "echo 3")
    }
}
