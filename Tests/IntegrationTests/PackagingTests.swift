import Foundation
import Testing

/// Issue 12, points 6 and 7: the systemd units, users and folders, and the
/// Debian packages, checked with Debian's own tools (systemd-analyze,
/// systemd-sysusers, systemd-tmpfiles, dpkg-deb) against temporary roots;
/// systemd is never booted. The packages are built from the debug binaries
/// this test run has (the release build `make deb` uses takes too long for
/// the suite); the layout, control files and scripts are the same.
@Suite(.serialized, .timeLimit(.minutes(3)))
final class PackagingTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-pkg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    @discardableResult
    func sh(_ arguments: [String], expect status: Int32? = 0, environment: [String: String] = [:]) throws -> String {
        let result = try Cluster.runToEnd("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + arguments)
        if let status, result.status != status {
            throw ClusterError("\(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
        return result.output
    }

    func unit(_ name: String) throws -> String {
        try String(contentsOfFile: Self.repository.appendingPathComponent("systemd/" + name).path, encoding: .utf8)
    }

    @Test("systemd-analyze security --offline: exposure at most 1.5 for the edge and 2.0 for central", arguments: [
        ("bollard-edge.service", 1.5), ("bollard-central.service", 2.0),
    ])
    func exposure(_ name: String, _ limit: Double) throws {
        let output = try sh(["systemd-analyze", "security", "--offline=true", "--no-pager", Self.repository.appendingPathComponent("systemd/" + name).path])
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level for \(name):") })
        let level = try #require(Double(line.split(separator: ":")[1].split(separator: " ")[0]))
        #expect(level <= limit, "\(line)")
    }

    @Test("Each unit is a notify service with the watchdog, rate-limited restarts that stop at exit 78, and its own folders", arguments: [
        ("bollard-edge.service", "bollard-edge", "edge.conf"), ("bollard-central.service", "bollard-central", "central.conf"),
    ])
    func unitDirectives(_ name: String, _ daemon: String, _ conf: String) throws {
        let lines = Set(try unit(name).split(separator: "\n").map(String.init))
        for directive in [
            "Type=notify", "WatchdogSec=30", "Restart=always", "StartLimitIntervalSec=300", "StartLimitBurst=10", "RestartPreventExitStatus=78",
            "StateDirectory=\(daemon)", "RuntimeDirectory=\(daemon)", "ConfigurationDirectory=\(daemon)", "User=\(daemon)",
            "ExecReload=/bin/kill -HUP $MAINPID",
        ] {
            #expect(lines.contains(directive), "\(name) lacks \(directive)")
        }
        let exec = try #require(lines.first { $0.hasPrefix("ExecStart=") })
        #expect(exec.hasPrefix("ExecStart=/usr/bin/\(daemon) run --config /etc/\(daemon)/\(conf) --data-dir /var/lib/\(daemon)"))
        if daemon == "bollard-edge" {
            #expect(lines.contains("SupplementaryGroups=video bollard-tech"))
            #expect(exec.hasSuffix("--diagnostics-socket /run/bollard-edge/edge.sock"))
        }
    }

    /// A flag renamed in the program but not in the unit would fail every start (exit 64) and loop.
    @Test("The units' command lines parse: as check-config, with the installed example plus what a technician must add", arguments: [
        ("bollard-edge.service", "bollard-edge", "edge.conf.example", "gate_id = gate-01\n"), ("bollard-central.service", "bollard-central", "central.conf.example", ""),
    ])
    func unitCommandLinesParse(_ name: String, _ daemon: String, _ example: String, _ addition: String) throws {
        let exec = try #require(try unit(name).split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        var arguments = exec.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
        #expect(arguments.removeFirst() == "/usr/bin/\(daemon)")
        #expect(arguments.first == "run")
        arguments[0] = "check-config"
        let configIndex = try #require(arguments.firstIndex(of: "--config")) + 1
        let config = root + "/" + example
        try (String(contentsOfFile: Self.repository.appendingPathComponent("systemd/" + example).path, encoding: .utf8) + addition)
            .write(toFile: config, atomically: true, encoding: .utf8)
        arguments[configIndex] = config
        let output = try sh([Cluster.binDirectory.appendingPathComponent(daemon).path] + arguments)
        #expect(output.contains("configuration ok"))
        #expect(output.contains("data_dir = /var/lib/\(daemon)  # --data-dir"))
    }

    /// `make install`'s layout in a temporary root with the host's units beside ours, so that
    /// `systemd-analyze verify --root` finds sysinit.target and the binaries the units run.
    @Test("systemd-analyze verify is clean for both units installed with their binaries")
    func verify() throws {
        try sh([Self.repository.appendingPathComponent("packaging/install.sh").path, Cluster.binDirectory.path, root, "all"])
        try sh(["cp", "-rn", "/usr/lib/systemd/system/.", root + "/usr/lib/systemd/system/"])
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try sh(["cp", "/bin/kill", root + "/bin/kill"])
        let output = try sh(["systemd-analyze", "verify", "--root=" + root, "bollard-edge.service", "bollard-central.service"])
        #expect(output.isEmpty, "\(output)")
    }

    @Test("sysusers.d makes the users and the technicians' and camera groups; tmpfiles.d their 0700 state folders")
    func usersAndFolders() throws {
        try sh([Self.repository.appendingPathComponent("packaging/install.sh").path, Cluster.binDirectory.path, root, "all"])
        try sh(["systemd-sysusers", "--root=" + root])
        let passwd = try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)
        let group = try String(contentsOfFile: root + "/etc/group", encoding: .utf8)
        #expect(passwd.contains("bollard-edge:x:") && passwd.contains("bollard-central:x:"))
        #expect(passwd.contains(":/var/lib/bollard-edge:/usr/sbin/nologin"))
        let members = Dictionary(group.split(separator: "\n").map { line -> (String, String) in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            return (String(fields[0]), String(fields[3]))
        }) { first, _ in first }
        #expect(members["bollard-tech"] == "bollard-edge")
        #expect(members["video"] == "bollard-edge")
        try sh(["systemd-tmpfiles", "--root=" + root, "--create"])
        for daemon in ["bollard-edge", "bollard-central"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/var/lib/" + daemon)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
            #expect((attributes[.ownerAccountID] as? Int) != 0)
        }
    }

    @Test("make deb's script builds both packages; dpkg -c lists binaries, model, unit, users, folders, configuration and docs")
    func debianPackages() throws {
        let output = try sh([Self.repository.appendingPathComponent("packaging/build-deb.sh").path, Cluster.binDirectory.path, "0.0.1", root + "/dist"], environment: ["DEB_COMPRESSION": "none"])
        let arch = try sh(["dpkg", "--print-architecture"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let edge = root + "/dist/bollard-edge_0.0.1_\(arch).deb"
        let central = root + "/dist/bollard-central_0.0.1_\(arch).deb"
        #expect(output.contains(edge) && output.contains(central))

        let edgeFiles = try listing(edge)
        for path in [
            "./usr/bin/bollard-edge", "./usr/bin/bollardctl", "./usr/share/bollard-edge/plates.bmodel", "./usr/lib/systemd/system/bollard-edge.service",
            "./usr/lib/sysusers.d/bollard-edge.conf", "./usr/lib/tmpfiles.d/bollard-edge.conf", "./etc/bollard-edge/edge.conf",
            "./usr/share/doc/bollard-edge/edge.conf.example",
        ] {
            #expect(edgeFiles[path] != nil, "bollard-edge lacks \(path)")
        }
        #expect(edgeFiles["./usr/bin/bollard-edge"]?.hasPrefix("-rwxr-xr-x root/root") == true)
        #expect(!edgeFiles.keys.contains { $0.contains("bollard-central") })

        let centralFiles = try listing(central)
        for path in [
            "./usr/bin/bollard-central", "./usr/lib/systemd/system/bollard-central.service", "./usr/lib/sysusers.d/bollard-central.conf",
            "./usr/lib/tmpfiles.d/bollard-central.conf", "./etc/bollard-central/central.conf", "./usr/share/doc/bollard-central/central.conf.example",
        ] {
            #expect(centralFiles[path] != nil, "bollard-central lacks \(path)")
        }
        #expect(!centralFiles.keys.contains { $0.contains("bollardctl") || $0.contains("plates.bmodel") })

        // The installed model is the packaged one, byte for byte.
        let model = try Data(contentsOf: Self.repository.appendingPathComponent("Edge/PlateRecognition/Resources/plates.bmodel"))
        #expect(edgeFiles["./usr/share/bollard-edge/plates.bmodel"]?.contains(" \(model.count) ") == true)

        #expect(try sh(["dpkg-deb", "-f", edge, "Package", "Version", "Architecture"]) == "Package: bollard-edge\nVersion: 0.0.1\nArchitecture: \(arch)\n")
        try sh(["dpkg-deb", "-e", edge, root + "/control"])
        #expect(try String(contentsOfFile: root + "/control/conffiles", encoding: .utf8) == "/etc/bollard-edge/edge.conf\n")
        let postinst = try String(contentsOfFile: root + "/control/postinst", encoding: .utf8)
        #expect(postinst.contains("systemd-sysusers bollard-edge.conf") && postinst.contains("systemctl enable bollard-edge.service"))
        #expect(postinst.contains("if [ -d /run/systemd/system ]"))
        #expect(postinst.contains("/usr/bin/bollard-edge check-config --config /etc/bollard-edge/edge.conf"))
        let prerm = try String(contentsOfFile: root + "/control/prerm", encoding: .utf8)
        #expect(prerm.contains("systemctl stop bollard-edge.service"))
        try sh(["sh", "-n", root + "/control/postinst"])
        try sh(["sh", "-n", root + "/control/prerm"])
    }

    /// `dpkg -c`: path → the whole line (mode, owner, size).
    func listing(_ package: String) throws -> [String: String] {
        var files: [String: String] = [:]
        for line in try sh(["dpkg", "-c", package]).split(separator: "\n") {
            guard let path = line.split(separator: " ").last else { continue }
            files[String(path)] = String(line)
        }
        return files
    }
}
