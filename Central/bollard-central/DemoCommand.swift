import ArgumentParser
import BollardSupport
import CentralCore
import CentralHTTP
import Evidence
import Domain
import Foundation
import Logging
import ServiceLifecycle
import ZMQ

extension BollardCentralCommand {
    /// Central plus N simulated gates on this machine, no configuration needed.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run central and simulated gates of one zone, with permits changing, and print a live summary.")

        @Option(help: "Number of simulated gates.") var gates = 30
        @Option(help: "Zone the gates guard.") var zone = "casco-viejo"
        @Option(name: .customLong("data-dir"), help: "Demo data folder (wiped at start).") var dataDirectory = "data/demo"
        @Option(help: "Reads per minute each generator gate generates.") var readsPerMinute = 30.0
        @Option(help: "Gates that play a rendered street through the real camera path (the others generate reads).")
        var cameraGates = 3
        @Option(help: "Stop after this many seconds (0 = until Ctrl-C).") var duration = 0.0
        @Option(help: "Log level for central and gates.") var logLevel = "warning"
        @Option(help: "Control centre address (dashboard and API).") var http = "127.0.0.1:8080"

        func run() async throws {
            BollardLogging.bootstrap(level: Logger.Level(name: logLevel) ?? .warning)
            let logger = Logger(label: "bollard.demo")
            try? FileManager.default.removeItem(atPath: dataDirectory)
            var configuration = CentralConfiguration()
            configuration.dataDirectory = dataDirectory + "/central"
            configuration.gateEndpoint = "tcp://127.0.0.1:*"
            let central = try CentralApplication.build(configuration: configuration, logger: logger)
            let now = Date()
            try central.store.save((0..<1_000).map { Self.demoPermit($0, zone: zone, now: now) })
            try central.server.start()
            guard let endpoint = central.server.boundEndpoint else { throw ValidationError("central did not bind") }

            let edgeBinary = siblingExecutable("bollard-edge")
            let street = cameraGates > 0 ? StreetRecording.make(edgeBinary: edgeBinary, folder: dataDirectory, zone: zone, now: now) : nil
            if let street { try central.store.save(street.permits) }
            let delivery = DemoDelivery.gates(count: gates, cameraGates: street == nil ? 0 : cameraGates) { "\(dataDirectory)/\($0)" }
            if delivery != nil { try central.store.save(DemoDelivery.permit(zone: zone, now: now)) }
            var children: [Process] = []
            // Whatever ends the demo (an error included), no gate outlives it.
            defer {
                for child in children where child.isRunning { child.terminate() }
                for child in children { child.waitUntilExit() }
            }
            for number in 1...max(1, gates) {
                let id = String(format: "gate-%02d", number)
                let folder = "\(dataDirectory)/\(id)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let pair = try CurveKeyPair.generate()
                try KeyFile.writePair(base: folder + "/gate", publicKey: pair.publicKey, secretKey: pair.secretKey)
                try FileManager.default.copyItem(atPath: configuration.publicKeyFile, toPath: folder + "/central.pub")
                try central.store.registerGate(Gate(id: id, zone: zone, direction: number % 5 == 0 ? .exit : .entry), publicKey: pair.publicKey)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: edgeBinary)
                process.arguments = [
                    "run", "--gate-id", id, "--zone", zone, "--direction", number % 5 == 0 ? "exit" : "entry",
                    "--data-dir", folder, "--central-endpoint", endpoint, "--log-level", logLevel,
                ]
                if let street, number <= cameraGates {
                    // The real camera path: the recording played as the camera, looping.
                    let config = folder + "/camera.conf"
                    try Data("camera_device = \(street.path)\ncamera_loop = true\n".utf8).write(to: URL(fileURLWithPath: config))
                    process.arguments! += ["--config", config]
                } else {
                    process.arguments! += ["--generate-reads-per-minute", String(readsPerMinute), "--generator-seed", String(number)]
                }
                if id == delivery?.entryGate || id == delivery?.exitGate { process.arguments! += ["--allow-injection"] }
                try process.run()
                children.append(process)
            }
            print("central at \(endpoint); \(children.count) gates started from \(edgeBinary); Ctrl-C stops")
            if let street {
                let cameras = min(cameraGates, children.count)
                print("camera path: gate-01…gate-\(String(format: "%02d", cameras)) play \(street.path) as their camera (\(street.summary)); the others generate reads")
            } else if cameraGates > 0 {
                print("camera path: none (the street recording could not be made; see above); every gate generates reads")
            }
            let citizens = try DemoCitizens(store: central.store, zone: zone)
            let demo = DemoLoop(central: central, children: children, zone: zone, duration: duration, citizens: citizens, delivery: delivery)
            guard let address = HTTPService.parse(address: http) else { throw ValidationError("--http takes ADDRESS:PORT") }
            // One token per role people use, printed once: sign in with any of them.
            var lines: [String] = []
            for role in [AccessRole.operator_, .supervisor, .police] {
                lines.append("  \(role.rawValue):\t" + (try central.store.createToken(name: "demo-\(role.rawValue)", role: role)))
            }
            let signIn = lines
            let http = HTTPService(centre: try ControlCentre(store: central.store, centralKey: try SigningKey.loadOrCreate(path: configuration.signingKeyFile)), host: address.host, port: address.port, logger: logger) { port in
                print("control centre: http://\(address.host):\(port)/  (sign in with a token)")
                print(signIn.joined(separator: "\n"))
                print(citizens.example(host: address.host, port: port))
                citizens.listening(on: port)
                fflush(nil)
            }
            // Central's own services, the control centre, then the loop; the loop ending (after
            // --duration) stops the demo as a signal would.
            let group = central.serviceGroup(extra: [
                .init(service: http, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: demo, successTerminationBehavior: .gracefullyShutdownGroup),
            ])
            try await group.run()
            print("demo stopped; data kept in \(dataDirectory)")
        }
    }
}

extension BollardCentralCommand.Demo {
    /// The fleet's permits, with the demo's time compressed for the maximum-stay rule:
    /// delivery vans load at any hour and may stay two minutes, so overstays show within minutes.
    static func demoPermit(_ index: Int, zone: ZoneID, now: Date) -> Permit {
        var permit = DemoFleet.permit(index, zone: zone, now: now)
        if permit.profile == .delivery {
            permit.windows = []
            permit.maxStaySeconds = 120
        }
        return permit
    }
}

/// Changes permits now and then and prints the summary every two seconds.
struct DemoLoop: Service {
    let central: CentralDaemon
    let children: [Process]
    let zone: String
    let duration: Double
    let citizens: DemoCitizens
    let delivery: DemoDelivery?

    func run() async throws {
        let started = Date()
        var random = SystemRandomNumberGenerator()
        var tick = 0
        var vanEntered: Date?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            tick += 1
            // Permits change while the gates run: suspend, reinstate, and new hotel guests.
            let index = Int.random(in: 0..<1_000, using: &random)
            if var permit = try central.store.permit(id: String(format: "P%07d", index)) {
                permit.status = permit.status == .active ? .suspended : .active
                try central.store.save(permit)
            }
            try central.store.save(BollardCentralCommand.Demo.demoPermit(1_000 + tick, zone: zone, now: Date()))
            if tick == 5 { print(await citizens.registerGuest()) }
            if let delivery, tick == 6 {
                print(delivery.enter())
                vanEntered = Date()
            }
            if let delivery, let entered = vanEntered, Date().timeIntervalSince(entered) >= Double(DemoDelivery.allowedSeconds) + 8 {
                print(delivery.leave(after: Date().timeIntervalSince(entered)))
                vanEntered = nil
            }
            let status = try CentralStatus.read(from: central.store)
            if let reached = citizens.reach(status) { print(reached) }
            let counts = status.counts
            let alive = children.count { $0.isRunning }
            print(String(
                format: "t=%3.0fs  gates %d ok / %d lagging / %d offline (%d running)  events %d  violations %d  reviews %d  permit seq %lld",
                Date().timeIntervalSince(started), counts.ok, counts.lagging, counts.offline, alive, status.events.total,
                status.events.violations, status.events.reviews, status.headSeq) + Self.staySummary(central.store) + Self.cameraSummary(status))
            fflush(nil)
            if duration > 0, Date().timeIntervalSince(started) >= duration { break }
        }
    }
}

extension DemoLoop {
    /// "  overstays 2 (exits without entry 5)": what the maximum-stay rule raised for review.
    static func staySummary(_ store: CentralStore) -> String {
        guard let findings = try? store.stayFindings() else { return "" }
        return "  overstays \(findings.overstays) to review (exits without entry \(findings.exitsWithoutEntry))"
    }

    /// "  camera gates 3/3 streaming, 10 fps each" from the heartbeats' camera objects; empty when none has a camera.
    static func cameraSummary(_ status: CentralStatus) -> String {
        let cameras = status.gates.compactMap { gate in gate.health?.camera.map { (gate.gateID, $0) } }
        guard !cameras.isEmpty else { return "" }
        let streaming = cameras.filter { $0.1.streaming }
        let fps = streaming.isEmpty ? 0 : streaming.map(\.1.framesPerSecond).reduce(0, +) / Double(streaming.count)
        return String(format: "  camera gates %d/%d streaming, %.0f fps each", streaming.count, cameras.count, fps)
    }
}

/// Path of another executable built beside this one.
func siblingExecutable(_ name: String) -> String {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
}
