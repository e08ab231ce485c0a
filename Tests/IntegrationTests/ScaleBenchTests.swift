import Foundation
import TestSupport
import Testing

/// `bollard-bench scale` (issue 13) measures central with simulated gates; its figures mean
/// something only if those gates are gates to central. A few of them against two real
/// `bollard-central run` processes, through the whole bench: the bench exits non-zero when
/// a gate is never welcomed, a change misses a gate, a failover does not complete, central
/// refuses a message, a seal is not valid, or an event is not stored exactly once.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ScaleBenchTests {
    @Test(
        "the scale bench's simulated gates interoperate with two real central instances: changes reach all, a SIGKILL fails them over, every sealed event is stored once"
    )
    func simulatedGatesAgainstTwoCentrals() throws {
        // On the engine this run tests (the PostgreSQL pass hands the bench its server through the environment).
        let (status, output) = try Cluster.runToEnd("bollard-bench", [
            "scale", "--gates", "6", "--events", "300", "--changes", "3", "--instances", "2", "--threads", "1",
            "--store", TestEngine.isPostgres ? "postgresql" : "sqlite",
        ])
        #expect(status == 0, "bollard-bench scale failed:\n\(output)")
        #expect(output.contains(TestEngine.isPostgres ? "PostgreSQL, 2 instances" : "SQLite, 2 instances"), "\(output)")
        #expect(output.contains("ingest:") && output.contains("1800 events acknowledged from 6 gates"), "\(output)")
        #expect(output.contains("propagation: change → held by all 6 gates"), "\(output)")
        #expect(output.contains("failover: SIGKILL of instance A → all 3 of its gates had an event acknowledged by instance B"), "\(output)")
        #expect(output.contains("exactly once:") && output.contains("conflicts: ok"), "\(output)")
        #expect(output.contains("seals: ") && output.contains("sealed and found valid by central"), "\(output)")
    }
}
