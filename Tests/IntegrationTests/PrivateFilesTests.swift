import BollardSupport
import Foundation
import TestSupport
import Testing
import ZMQ

/// Secret keys, databases and data folders are private whatever the umask; a secret key others may
/// read stops the daemon with a clear error.
@Suite(.serialized) struct PrivateFilesTests {
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int
    }

    /// Starts `tool` under `umask 000`, the most permissive, through the shell.
    static func launchPermissive(_ tool: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask 000; exec \"$0\" \"$@\"", Cluster.binDirectory.appendingPathComponent(tool).path] + arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    static func runPermissive(_ tool: String, _ arguments: [String], log: String) throws -> (status: Int32, output: String) {
        let process = try launchPermissive(tool, arguments, log: log)
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test(
        "under umask 000, bollardctl keygen, central and a gate make 0600 keys and databases in 0700 folders",
        .enabled(if: !TestEngine.isPostgres, "checks central's SQLite file"))
    func privateWhateverTheUmask() throws {
        let cluster = try Cluster()
        let log = cluster.root.appendingPathComponent("cli.log").path
        let base = cluster.root.appendingPathComponent("keys/tech").path
        try FileManager.default.createDirectory(atPath: cluster.root.appendingPathComponent("keys").path, withIntermediateDirectories: true)
        #expect(try Self.runPermissive("bollardctl", ["keygen", base], log: log).status == 0)
        #expect(Self.mode(base + ".key") == 0o600)
        #expect(Self.mode(base + ".pub") == 0o644)
        // The event signing key is made beside them, private too; no temporary file is left.
        #expect(Self.mode(cluster.root.appendingPathComponent("keys/signing.key").path) == 0o600)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: cluster.root.appendingPathComponent("keys").path).sorted()
                == ["signing.key", "tech.key", "tech.pub"])

        #expect(try Self.runPermissive("bollard-central", ["gates", "list", "--data-dir", cluster.centralData], log: log).status == 0)
        #expect(Self.mode(cluster.centralData) == 0o700)
        #expect(Self.mode(cluster.centralData + "/central.key") == 0o600)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: cluster.centralData + "/central.sqlite" + suffix) {
            #expect(Self.mode(cluster.centralData + "/central.sqlite" + suffix) == 0o600, "central.sqlite\(suffix)")
        }

        let edgeFolder = cluster.edgeData("gate-p")
        try FileManager.default.createDirectory(atPath: cluster.root.appendingPathComponent("edge-keys").path, withIntermediateDirectories: true)
        let centralPub = cluster.root.appendingPathComponent("edge-keys/central.pub").path
        try FileManager.default.copyItem(atPath: cluster.centralData + "/central.pub", toPath: centralPub)
        let edge = try Self.launchPermissive(
            "bollard-edge",
            ["run", "--gate-id", "gate-p", "--data-dir", edgeFolder, "--central-endpoint", cluster.endpoint, "--central-public-key-file", centralPub],
            log: edgeFolder + ".log")
        defer {
            if edge.isRunning { edge.terminate() }
            edge.waitUntilExit()
        }
        try cluster.waitUntil("the gate runs", timeout: 20) { (try? cluster.edgeStatus("gate-p")) != nil }
        #expect(Self.mode(edgeFolder) == 0o700)
        #expect(Self.mode(edgeFolder + "/gate.key") == 0o600)
        #expect(Self.mode(edgeFolder + "/signing.key") == 0o600)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: edgeFolder + "/edge.sqlite" + suffix) {
            #expect(Self.mode(edgeFolder + "/edge.sqlite" + suffix) == 0o600, "edge.sqlite\(suffix)")
        }
    }

    @Test("central and a gate refuse to start with a secret key file others may read")
    func exposedSecretKeyRefused() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-e")
        chmod(cluster.centralData + "/central.key", 0o644)
        let central = try cluster.run("bollard-central", ["run", "--data-dir", cluster.centralData, "--gate-endpoint", cluster.endpoint])
        #expect(central.status != 0)
        #expect(central.output.contains("central.key") && central.output.contains("chmod 600"))

        chmod(cluster.edgeData("gate-e") + "/gate.key", 0o640)
        let edge = try cluster.run("bollard-edge", ["run", "--gate-id", "gate-e", "--data-dir", cluster.edgeData("gate-e"), "--central-endpoint", cluster.endpoint])
        #expect(edge.status != 0)
        #expect(edge.output.contains("gate.key") && edge.output.contains("chmod 600"))
    }
}
