import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every `bollardctl` command against a running gate (real `bollard-edge`,
/// real central, the real `bollardctl` binary), in plain words and JSON.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct BollardCtlTests {
    static let stranger = "4821KTV"

    /// Central and one connected gate that allows injection; `config` lines go in a configuration file it reads.
    static func connectedGate(config: String? = nil) throws -> Cluster {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a", extra: try config.map { ["--config", try Self.config(in: cluster, $0)] } ?? [])
        try cluster.waitUntil("gate connected", timeout: 20) { try cluster.edgeStatus("gate-a").connected }
        return cluster
    }

    func ctl(_ cluster: Cluster, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try cluster.run("bollardctl", arguments + ["--socket", cluster.edgeSocket("gate-a")])
    }

    @Test("status puts the worst problem first, each with what to do; a notice alone does not fail it")
    func statusWorstFirst() throws {
        let cluster = try Self.connectedGate()
        let healthy = try ctl(cluster, ["status"])
        #expect(healthy.status == 0, "\(healthy.output)")
        #expect(healthy.output.hasPrefix("NOTICE    injection is allowed"), "\(healthy.output)")
        #expect(healthy.output.contains("→ set allow_injection = false"))

        cluster.killCentral()
        try cluster.waitUntil("the gate notices", timeout: 20) { try !cluster.edgeStatus("gate-a").connected }
        let offline = try ctl(cluster, ["status"])
        #expect(offline.status == 1)
        let lines = offline.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("WARNING   nothing is listening at \(cluster.endpoint)") == true, "\(offline.output)")
        #expect(lines.dropFirst().first?.hasPrefix("          → check that bollard-central runs there") == true)
        #expect(lines.dropFirst(2).first?.hasPrefix("WARNING   central unreachable at \(cluster.endpoint)") == true, "\(offline.output)")
        let notice = try #require(lines.firstIndex { $0.hasPrefix("NOTICE") })
        #expect(notice > 0, "the notice comes after the warning")
        let json = try ctl(cluster, ["status", "--json"])
        #expect(json.output.contains("\"severity\" : \"warning\"") && json.output.contains("\"action\""), "\(json.output)")
    }

    @Test("camera says there is none on a gate without one, and snapshot says why it has no frame")
    func cameraWithoutCamera() throws {
        let cluster = try Self.connectedGate()
        let camera = try ctl(cluster, ["camera"])
        #expect(camera.status == 0 && camera.output.contains("no camera configured"), "\(camera.output)")
        let snapshot = try ctl(cluster, ["camera", "snapshot", cluster.root.appendingPathComponent("x.jpg").path])
        #expect(snapshot.status != 0 && snapshot.output.contains("no camera"), "\(snapshot.output)")
    }

    @Test("camera reports a played video's state and format, and camera snapshot writes its latest frame as a JPEG")
    func cameraAndSnapshot() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-a", register: false)
        let video = cluster.root.appendingPathComponent("street.y4m").path
        try CameraVideoIntegrationTests.writeVideo(path: video, scenes: ["scene_0001.jpg"])
        let config = cluster.root.appendingPathComponent("camera.conf").path
        try Data("camera_device = \(video)\ncamera_loop = true\n".utf8).write(to: URL(fileURLWithPath: config))
        try cluster.startEdge("gate-a", extra: ["--config", config])
        try cluster.waitUntil("the camera streams", timeout: 30) { try cluster.edgeStatus("gate-a").camera?.streaming == true }

        let camera = try ctl(cluster, ["camera"])
        #expect(camera.status == 0 && camera.output.contains("camera \(video): streaming Y4M 480x360"), "\(camera.output)")
        #expect(camera.output.contains("last frame") && camera.output.contains("fps"))
        let json = try ctl(cluster, ["camera", "--json"])
        #expect(json.output.contains("\"format\" : \"Y4M 480x360\""), "\(json.output)")

        let file = cluster.root.appendingPathComponent("frame.jpg").path
        let snapshot = try ctl(cluster, ["camera", "snapshot", file])
        #expect(snapshot.status == 0 && snapshot.output.contains("480x360"), "\(snapshot.output)")
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(jpeg.prefix(2) == Data([0xFF, 0xD8]) && jpeg.count > 1000, "a JPEG of \(jpeg.count) bytes")
    }

    @Test("reads --follow prints new reads and decisions with plates masked, and --show-plates shows them only where the gate allows it")
    func readsFollow() throws {
        for allowed in [false, true] {
            let cluster = try Self.connectedGate(config: allowed ? "diagnostics_show_plates = true" : nil)
            let follower = Process()
            follower.executableURL = Cluster.binDirectory.appendingPathComponent("bollardctl")
            follower.arguments = ["reads", "--follow", "--show-plates", "--limit", "2", "--socket", cluster.edgeSocket("gate-a")]
            let out = Pipe()
            let err = Pipe()
            follower.standardOutput = out
            follower.standardError = err
            try follower.run()
            Thread.sleep(forTimeInterval: 0.5)  // let it take its first cursor
            _ = try cluster.inject("gate-a", Self.stranger)
            _ = try cluster.inject("gate-a", "1234BCD", confidence: 0.5)
            let deadline = Date().addingTimeInterval(10)
            while follower.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            #expect(!follower.isRunning, "it stops after --limit reads")
            if follower.isRunning { follower.terminate() }
            let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let warned = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let lines = printed.split(separator: "\n")
            #expect(lines.count == 2, "\(printed)")
            if allowed {
                #expect(lines.first?.contains(Self.stranger) == true && lines.first?.contains("violation") == true, "\(printed)")
                #expect(warned.isEmpty)
            } else {
                #expect(!printed.contains(Self.stranger) && lines.first?.contains("48**KTV") == true, "\(printed)")
                #expect(lines.last?.contains("12**BCD") == true && lines.last?.contains("review") == true, "\(printed)")
                #expect(warned.contains("diagnostics_show_plates"), "\(warned)")
            }
            #expect(lines.first?.contains("[injected, event ") == true, "\(printed)")
        }
    }

    /// A configuration file holding `lines`, in the cluster's folder.
    static func config(in cluster: Cluster, _ lines: String) throws -> String {
        let path = cluster.root.appendingPathComponent("edge-\(UUID().uuidString.prefix(6)).conf").path
        try Data((lines + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("sync shows the connection, the last acknowledgement, the permit sequence in step, the lag and the clock skew")
    func sync() throws {
        let cluster = try Self.connectedGate()
        _ = try cluster.inject("gate-a", Self.stranger)
        try cluster.waitUntil("acknowledged", timeout: 10) { try cluster.edgeStatus("gate-a").health.bufferDepth == 0 }
        try cluster.waitUntil("clock measured", timeout: 10) { try !ctl(cluster, ["sync"]).output.contains("not measured") }
        let sync = try ctl(cluster, ["sync"])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(sync.output.contains("central \(cluster.endpoint): connected"), "\(sync.output)")
        #expect(sync.output.contains("last acknowledgement") && !sync.output.contains("last acknowledgement never"), "\(sync.output)")
        #expect(sync.output.contains("in step with central"))
        #expect(sync.output.contains("lag: 0 events unsent"))
        #expect(sync.output.contains("central's (allowed 10.0 s): ok"))
        #expect(try ctl(cluster, ["sync", "--json"]).output.contains("\"seconds_since_ack\""))
    }

    @Test("buffer shows depth, oldest, unsent events by kind and drops")
    func buffer() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-a", register: false)  // no central: events stay
        try cluster.startEdge("gate-a")
        _ = try cluster.inject("gate-a", Self.stranger)
        _ = try cluster.inject("gate-a", "1234BCD", confidence: 0.5)
        let buffer = try ctl(cluster, ["buffer"])
        #expect(buffer.status == 0, "\(buffer.output)")
        #expect(buffer.output.contains("buffer 2/100000 events unsent"), "\(buffer.output)")
        #expect(buffer.output.contains("by kind: 1 review, 1 violation"))
        #expect(buffer.output.contains("0 authorised, 0 exits, 0 violations, 0 reviews"))
        #expect(try ctl(cluster, ["buffer", "--json"]).output.contains("\"by_kind\""))
    }

    @Test("permits lookup says what the gate would decide now and why: the permit, its window, the rule")
    func permitsLookup() throws {
        let cluster = try Self.connectedGate()
        _ = try cluster.centralCLI(["permits", "add", "--id", "P-1", "--plate", "4821 KTV", "--profile", "resident"])
        let head = try cluster.centralHeadSeq()
        try cluster.waitUntil("the gate holds the permit", timeout: 10) { try cluster.edgeStatus("gate-a").health.permitSeq >= head }
        let known = try ctl(cluster, ["permits", "lookup", "4821 KTV"])
        #expect(known.status == 0, "\(known.output)")
        #expect(known.output.hasPrefix("4821KTV: AUTHORISED"), "\(known.output)")
        #expect(known.output.contains("permit P-1 is valid now in zone casco-viejo"))
        #expect(known.output.contains("permit P-1 resident, active: valid now"))
        #expect(known.output.contains("windows"))
        let unknown = try ctl(cluster, ["permits", "lookup", "9999ZZZ"])
        #expect(unknown.output.hasPrefix("9999ZZZ: VIOLATION") && unknown.output.contains("no permit for this plate"), "\(unknown.output)")
        let bad = try ctl(cluster, ["permits", "lookup", "12Ñ4"])
        #expect(bad.status != 0 && bad.output.contains("U+00D1"), "\(bad.output)")
    }

    @Test("config check prints every key in force and checks what it points at; a missing key file fails it, naming the fix")
    func configCheck() throws {
        let cluster = try Self.connectedGate()
        let check = try ctl(cluster, ["config", "check"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("allow_injection") && check.output.contains("= true"))
        #expect(check.output.contains("gate_id") && check.output.contains("= gate-a"))
        #expect(check.output.contains("ok    central_endpoint"))
        try FileManager.default.removeItem(atPath: cluster.edgeData("gate-a") + "/central.pub")
        let broken = try ctl(cluster, ["config", "check"])
        #expect(broken.status == 1 && broken.output.contains("FAIL  central_public_key_file"), "\(broken.output)")
        #expect(broken.output.contains("→ copy central.pub"))
    }

    @Test("selftest passes on a healthy connected gate and fails, naming central and the fix, when central does not know the gate")
    func selftest() throws {
        let cluster = try Self.connectedGate()
        try cluster.waitUntil("clock measured", timeout: 10) { try ctl(cluster, ["selftest"]).status == 0 }
        let passed = try ctl(cluster, ["selftest"])
        #expect(passed.output.contains("ok    camera") && passed.output.contains("ok    disk") && passed.output.contains("ok    clock"), "\(passed.output)")
        #expect(passed.output.contains("ok    keys") && passed.output.contains("ok    central: \(cluster.endpoint) accepts this gate's key"))
        #expect(passed.output.contains("selftest passed"))

        try cluster.prepareEdge("gate-b", register: false)
        try cluster.startEdge("gate-b")
        let failed = try cluster.run("bollardctl", ["selftest", "--socket", cluster.edgeSocket("gate-b")])
        #expect(failed.status == 1 && failed.output.contains("FAIL  central"), "\(failed.output)")
        #expect(failed.output.contains("selftest FAILED: clock, central"), "\(failed.output)")
    }

    @Test("log-level changes the gate's level at once until restart, and refuses a word that is not a level")
    func logLevel() throws {
        let cluster = try Self.connectedGate()
        let log = cluster.edgeData("gate-a") + ".log"
        _ = try cluster.inject("gate-a", Self.stranger)
        #expect(!cluster.log(log).contains("passage detail"), "info level: no plate detail")
        let set = try ctl(cluster, ["log-level", "debug"])
        #expect(set.status == 0 && set.output.contains("log level debug until the gate restarts"), "\(set.output)")
        _ = try cluster.inject("gate-a", Self.stranger)
        try cluster.waitUntil("debug lines appear", timeout: 5) { cluster.log(log).contains("passage detail") }
        #expect(cluster.log(log).contains("log level changed until restart"))
        let bad = try ctl(cluster, ["log-level", "loud"])
        #expect(bad.status != 0 && bad.output.contains("'loud' is not a level"), "\(bad.output)")
    }

    @Test("the socket is 0660 in the technicians' group: a process of another uid outside the group cannot connect, one in the group can")
    func socketBelongsToTechnicians() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-a", register: false)
        // A folder others may traverse, as /run/bollard-edge is for the group.
        let folder = cluster.root.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let socket = folder.appendingPathComponent("edge.sock").path
        try cluster.startEdge("gate-a", extra: ["--diagnostics-socket", socket, "--diagnostics-group", "users"], socket: socket)
        var info = stat()
        #expect(stat(socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660, "mode \(String(info.st_mode & 0o777, radix: 8))")
        let users = try #require(getgrnam("users")?.pointee.gr_gid, "Debian's base-passwd has group users")
        #expect(info.st_gid == users, "group users")

        let ctl = Cluster.binDirectory.appendingPathComponent("bollardctl").path
        let outsider = try cluster.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", ctl, "status", "--json", "--socket", socket])
        #expect(outsider.status != 0 && outsider.output.contains("Permission denied"), "\(outsider.output)")
        let technician = try cluster.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--groups=\(users)", ctl, "status", "--json", "--socket", socket])
        #expect(technician.status == 0 && technician.output.contains("\"gate-a\""), "\(technician.output)")
    }
}
