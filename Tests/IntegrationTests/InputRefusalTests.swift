import BollardSupport
import Foundation
import Testing
import WireProtocol
import ZMQ

/// Operators' and technicians' mistakes are refused with the field and the reason, a non-zero exit,
/// no usage text for failures that are not argument mistakes, and nothing half-done.
@Suite(.serialized) struct InputRefusalTests {
    /// Runs bollard-central with the cluster's data folder.
    static func central(_ cluster: Cluster, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try cluster.run("bollard-central", arguments + ["--data-dir", cluster.centralData])
    }

    @Test("permits add refuses a '#' id and a foreign plate character with the reason, accepts the id 'id' and several windows")
    func permitsAdd() throws {
        let cluster = try Cluster()
        let hash = try Self.central(cluster, ["permits", "add", "--id", "#B6", "--plate", "1234BCD"])
        #expect(hash.status == 64)
        #expect(hash.output.contains("--id") && !hash.output.contains("Fatal error"))
        let plate = try Self.central(cluster, ["permits", "add", "--id", "P-1", "--plate", "ÑÑ1234BC"])
        #expect(plate.status == 64)
        #expect(plate.output.contains("'Ñ'"))
        #expect(try Self.central(cluster, ["permits", "show", "P-1"]).status != 0)
        let holder = try Self.central(cluster, ["permits", "add", "--id", "P-2", "--plate", "1234BCD", "--holder", String(repeating: "h", count: 10_000)])
        #expect(holder.status == 64 && holder.output.contains("--holder"))

        #expect(try cluster.centralCLI(["permits", "add", "--id", "id", "--plate", "1234BCD"]).contains("permit id saved"))
        _ = try cluster.centralCLI(["permits", "add", "--id", "W-1", "--plate", "5678FGH", "--windows", "sat,sun 08:00-10:00;mon-fri 07:00-09:00"])
        let shown = try cluster.centralCLI(["permits", "show", "W-1"])
        #expect(shown.contains(#""days":["sat","sun"]"#) || shown.contains(#""days":["sun","sat"]"#))
        #expect(shown.contains(#""from":"07:00""#))
    }

    @Test("a runtime failure is one error line without the usage text, and exits non-zero")
    func runtimeFailureWithoutUsage() throws {
        let cluster = try Cluster()
        let revoke = try Self.central(cluster, ["permits", "revoke", "NOPE"])
        #expect(revoke.status == 1)
        #expect(revoke.output.contains("Error: no permit NOPE"))
        #expect(!revoke.output.contains("USAGE") && !revoke.output.contains("Usage"))
        let missing = try Self.central(cluster, ["permits", "import", cluster.root.appendingPathComponent("none.csv").path])
        #expect(missing.status == 1 && !missing.output.contains("USAGE"))
    }

    @Test("permits import: CRLF files import; a duplicate id, a '#' id or valid_until before valid_from refuse the whole file, naming the line")
    func permitsImport() throws {
        let cluster = try Cluster()
        let csv = cluster.root.appendingPathComponent("permits.csv").path
        let header = "id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder"
        func row(_ id: String, from: String = "2026-01-01", until: String = "") -> String {
            "\(id),1234 BCD,resident,casco-viejo,\(from),\(until),\"sat,sun 08:00-10:00\",,active,H"
        }
        try ([header, row("C1"), row("C2")].joined(separator: "\r\n") + "\r\n").write(toFile: csv, atomically: true, encoding: .utf8)
        #expect(try cluster.centralCLI(["permits", "import", csv]).contains("imported 2 permits"))

        for (lines, named) in [
            ([header, row("D1"), row("D1")], "line 3: id"),
            ([header, row("D2"), "#" + row("D3")], "line 3: id"),
            ([header, row("D4", from: "2026-06-01", until: "2026-01-01")], "line 2: valid_until"),
        ] {
            try lines.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
            let result = try Self.central(cluster, ["permits", "import", csv])
            #expect(result.status == 1)
            #expect(result.output.contains(named), "\(result.output)")
            #expect(result.output.contains("nothing imported"))
        }
        for id in ["D1", "D2", "D4"] { #expect(try Self.central(cluster, ["permits", "show", id]).status != 0) }
    }

    @Test("gates register: an existing id needs --replace-key, central's own key and bad ids are refused, a missing key file is named")
    func gatesRegister() throws {
        let cluster = try Cluster()
        _ = try cluster.centralCLI(["gates", "list"])
        let first = try CurveKeyPair.generate().publicKey, second = try CurveKeyPair.generate().publicKey
        _ = try cluster.centralCLI(["gates", "register", "--id", "gate-1", "--key", first])
        let again = try Self.central(cluster, ["gates", "register", "--id", "gate-1", "--key", second])
        #expect(again.status == 1 && again.output.contains("--replace-key"))
        #expect(try cluster.centralCLI(["gates", "list"]).contains(first))
        _ = try cluster.centralCLI(["gates", "register", "--id", "gate-1", "--key", second, "--replace-key"])
        #expect(try cluster.centralCLI(["gates", "list"]).contains(second))

        let own = try Self.central(cluster, ["gates", "register", "--id", "gate-2", "--key", cluster.centralData + "/central.pub"])
        #expect(own.status != 0 && own.output.contains("central's own public key"))
        let missing = try Self.central(cluster, ["gates", "register", "--id", "gate-3", "--key", "/nonexistent"])
        #expect(missing.status != 0 && missing.output.contains("no file /nonexistent"))
        for id in ["", "a\nb", "a\tb", "../x", String(repeating: "g", count: 5_000)] {
            let key = try CurveKeyPair.generate().publicKey
            #expect(try Self.central(cluster, ["gates", "register", "--id", id, "--key", key]).status != 0)
        }
        #expect(try cluster.centralCLI(["gates", "list"]).split(separator: "\n").count == 1)
    }

    @Test("inject refuses a plate with a foreign character, at bollardctl and at the gate's socket, naming it")
    func injectRefusesForeignCharacters() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-i")
        try cluster.startEdge("gate-i")
        let reply = try cluster.ask("gate-i", .inject(plate: "ÑÑ1234BC", confidence: 1))
        #expect(!reply.ok && reply.eventSeq == nil)
        #expect(reply.error?.contains("'Ñ'") == true)
        let ctl = try cluster.run("bollardctl", ["inject", "--socket", cluster.edgeSocket("gate-i"), "ÑÑ1234BC"])
        #expect(ctl.status != 0 && ctl.output.contains("'Ñ'"))
        #expect(try cluster.edgeStatus("gate-i").health.bufferDepth == 0)
    }
}
