import BollardSupport
import Foundation
import Testing
import ZMQ

/// Why a gate cannot connect, told apart from libzmq's socket monitor and
/// printed with the fix by `bollardctl sync`, `status` and `selftest`.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ConnectionDiagnosisTests {
    func sync(_ cluster: Cluster, _ id: String) throws -> String {
        try cluster.run("bollardctl", ["sync", "--socket", cluster.edgeSocket(id)]).output
    }

    /// Waits until `bollardctl sync` says `text`, then checks status and selftest say it too.
    func expectDiagnosis(_ cluster: Cluster, _ id: String, _ text: String, fix: String) throws {
        try cluster.waitUntil("sync says '\(text)'", timeout: 20) { try sync(cluster, id).contains(text) }
        let said = try sync(cluster, id)
        #expect(said.contains("NOT CONNECTED") && said.contains("→ ") && said.contains(fix), "\(said)")
        let status = try cluster.run("bollardctl", ["status", "--socket", cluster.edgeSocket(id)])
        #expect(status.status == 1 && status.output.contains(text) && status.output.contains(fix), "\(status.output)")
        let selftest = try cluster.run("bollardctl", ["selftest", "--socket", cluster.edgeSocket(id)])
        #expect(selftest.status == 1 && selftest.output.contains("FAIL  central: ") && selftest.output.contains(text), "\(selftest.output)")
    }

    @Test("nothing listening at the endpoint: said, with the checks to make")
    func nothingListening() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")  // central never started
        try expectDiagnosis(cluster, "gate-a", "nothing is listening at \(cluster.endpoint)", fix: "check that bollard-central runs there")
    }

    @Test("a central.pub that is not central's key: the handshake is refused, and the fix is to copy central.pub again")
    func wrongCentralKey() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        let other = try CurveKeyPair.generate()
        try KeyFile.writePair(base: cluster.root.appendingPathComponent("other").path, publicKey: other.publicKey, secretKey: other.secretKey)
        let centralPub = cluster.edgeData("gate-a") + "/central.pub"
        try FileManager.default.removeItem(atPath: centralPub)
        try FileManager.default.copyItem(atPath: cluster.root.appendingPathComponent("other.pub").path, toPath: centralPub)
        try cluster.startEdge("gate-a")
        try expectDiagnosis(
            cluster, "gate-a", "refuses the handshake: this gate's \(centralPub) is not central's public key", fix: "copy central.pub from central's data folder")
    }

    @Test("a key central never registered: ZAP 400, and the fix names the registration command")
    func unregistered() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a", register: false)
        try cluster.startEdge("gate-a")
        try expectDiagnosis(
            cluster, "gate-a", "central refuses this gate's key (ZAP 400): it is not registered at central",
            fix: "at central: bollard-central gates register --id gate-a --key")
    }

    @Test("a revoked key: said as revoked, on the live connection and again after the gate restarts")
    func revoked() throws {
        let cluster = try Cluster()
        try cluster.startCentral()
        try cluster.prepareEdge("gate-a")
        try cluster.startEdge("gate-a")
        try cluster.waitUntil("connected", timeout: 20) { try cluster.edgeStatus("gate-a").connected }
        _ = try cluster.centralCLI(["gates", "revoke", "gate-a"])
        let text = "central refuses this gate's key, which it welcomed before: it was revoked"
        try expectDiagnosis(cluster, "gate-a", text, fix: "register its key again at central")
        cluster.signalEdge("gate-a", SIGTERM)
        try cluster.startEdge("gate-a")
        try expectDiagnosis(cluster, "gate-a", text, fix: "register its key again at central")
        #expect(cluster.log(cluster.edgeData("gate-a") + ".log").contains("cannot connect to central"))
    }
}
