import TestSupport
@testable import CentralCore
import Domain
import Foundation
import Testing

/// LISTEN/NOTIFY between central instances (PostgreSQL pass only).
@Suite(.enabled(if: TestEngine.isPostgres, "PostgreSQL notifications: runs with BOLLARD_TEST_ENGINE=postgres"))
struct PermitChangeNotificationTests {
    @Test("a permit saved through one instance is heard by another instance's listener within a second, before any poll")
    func anotherInstanceHearsAChange() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-notify-\(UUID().uuidString.prefix(8))").path
        let location = StoreLocation(TestEngine.store(forSQLitePath: folder + "/central.sqlite"))
        let saving = try CentralStore(location: location)
        let hearing = try CentralStore(location: location)
        defer {
            saving.close()
            hearing.close()
        }
        hearing.listenForPermitChanges()
        func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return condition()
        }
        // The listener counts its (re)connection as a signal: it is listening once that is in.
        #expect(waitFor(5) { (hearing.permitChangeSignals ?? 0) >= 1 })
        let before = hearing.permitChangeSignals ?? 0
        Thread.sleep(forTimeInterval: 0.2)
        #expect(hearing.permitChangeSignals == before, "nothing is heard while nothing changes")
        try saving.save([Permit(id: "P1", plate: PlateText("1234BCD")!, profile: .resident, zones: ["casco-viejo"], validFrom: .distantPast)])
        #expect(waitFor(1) { (hearing.permitChangeSignals ?? 0) > before })
    }
}
