import BollardSupport
import Capture
import Domain
import Foundation
import Logging
import WireProtocol

/// Answers the technician's socket: the gate's status with plain-language
/// findings, and injected reads.
public struct DiagnosticsHandler: Sendable {
    let configuration: EdgeConfiguration
    let controller: GateController
    let sync: SyncClient
    /// The camera's state, when one is configured.
    let camera: CameraMonitor?
    let logger: Logger

    public init(configuration: EdgeConfiguration, controller: GateController, sync: SyncClient, camera: CameraMonitor? = nil, logger: Logger) {
        self.configuration = configuration
        self.controller = controller
        self.sync = sync
        self.camera = camera
        self.logger = logger
    }

    /// One JSON line in, one JSON line out; bad input gets an error reply.
    /// - Parameter peer: who asked (the kernel's credentials); injections are logged with its uid.
    public func answer(_ line: String, peer: LinePeer = LinePeer(pid: -1, uid: -1, gid: -1)) -> String {
        let reply: DiagnosticsReply
        do {
            let request = try JSONDecoder().decode(DiagnosticsRequest.self, from: Data(line.utf8))
            reply = respond(to: request, peer: peer)
        } catch let error as WireError {
            reply = .failure(error.description)
        } catch {
            reply = .failure("not a request: expected {\"cmd\": \"status\"} or {\"cmd\": \"inject\", \"plate\": …}")
        }
        return String(decoding: WireCodec.encode(reply), as: UTF8.self)
    }

    func respond(to request: DiagnosticsRequest, peer: LinePeer) -> DiagnosticsReply {
        switch request {
        case .status:
            return DiagnosticsReply(ok: true, status: status())
        case .camera:
            var reply = DiagnosticsReply(ok: true)
            reply.camera = camera.map { Self.cameraStatus($0.snapshot) }
            return reply
        case .snapshot:
            return snapshotReply()
        case .reads(let after, let showPlates):
            return readsReply(after: after, showPlates: showPlates)
        case .sync:
            var reply = DiagnosticsReply(ok: true)
            reply.sync = syncReport()
            return reply
        case .buffer:
            return bufferReply()
        case .permitLookup(let plate):
            return lookupReply(plate)
        case .configCheck:
            var reply = DiagnosticsReply(ok: true)
            reply.config = configReport()
            return reply
        case .selftest:
            var reply = DiagnosticsReply(ok: true)
            reply.checks = selftest()
            return reply
        case .logLevel(let name):
            guard let level = Logger.Level(name: name) else {
                return .failure("'\(LogText.escaped(name, limit: 20))' is not a level: trace, debug, info, notice, warning, error or critical")
            }
            let before = BollardLogging.currentLevel
            BollardLogging.currentLevel = level
            logger.notice("log level changed until restart", metadata: [
                "log.level": "\(level.rawValue)", "log.level.before": "\(before.rawValue)", "peer.uid": "\(peer.uid)",
            ])
            var reply = DiagnosticsReply(ok: true)
            reply.logLevel = level.rawValue
            return reply
        case .inject(let plate, let confidence):
            guard configuration.allowInjection else {
                logger.warning("injection refused: allow_injection is off", metadata: ["peer.uid": "\(peer.uid)", "peer.pid": "\(peer.pid)"])
                return .failure(
                    "injection is disabled on this gate: set allow_injection = true in its configuration (commissioning only; injected reads never become fines) and restart it")
            }
            guard (0...1).contains(confidence) else { return .failure("confidence must be within 0...1") }
            // A technician's typo must not become another vehicle's passage: refuse, saying which character.
            do { _ = try PlateText(validating: plate) } catch { return .failure(error.description) }
            do {
                let event = try controller.handle(PlateRead(text: plate, confidence: confidence, at: Date(), source: .injected))
                // Who injected what: the kernel's uid of the caller, never the plate at this level.
                logger.notice("read injected", metadata: [
                    "peer.uid": "\(peer.uid)", "peer.pid": "\(peer.pid)", "event.seq": "\(event.seq)", "event.kind": "\(event.kind.rawValue)",
                ])
                return DiagnosticsReply(ok: true, decision: event.kind, eventSeq: event.seq)
            } catch let error as GateController.StorageError {
                return DiagnosticsReply(ok: false, error: error.description, decision: error.decision.kind)
            } catch {
                return .failure("decided, but could not store the event: \(error)")
            }
        }
    }

    public func status() -> EdgeStatus {
        let health = controller.health()
        let link = sync.link
        let connected = sync.isConnected
        let findings = findings(health: health, link: link)
        var status = EdgeStatus(
            gate: controller.permits.snapshot.gate, centralEndpoint: link.endpoint,
            connected: connected, secondsSinceCentral: link.secondsSinceCentral, permitCount: controller.permits.snapshot.index.count,
            health: health, problems: findings.filter { $0.severity != .notice }.map(\.problem), camera: camera.map { Self.cameraStatus($0.snapshot) }, findings: findings)
        status.centralEndpoints = sync.centrals.map(\.endpoint)
        status.failovers = link.failovers
        return status
    }

    /// Everything wrong with the gate, worst first, each with what to do.
    func findings(health: GateHealth, link: SyncClient.Link) -> [DiagnosticsFinding] {
        var findings: [DiagnosticsFinding] = []
        if let storage = controller.storageProblem {
            findings.append(.init(
                .critical, "cannot write the event buffer (\(storage.error)): \(storage.held) decisions held in memory",
                action: "free space on \(configuration.dataDirectory) (df -h; journalctl --vacuum-size=…); held decisions are written as soon as the disk takes them"))
        }
        let dropped = controller.dropped
        if dropped.violation + dropped.review > 0 {
            findings.append(.init(
                .critical, "\(dropped.violation) violations and \(dropped.review) reviews DROPPED: the disk refused them and memory was full",
                action: "free disk space now (df -h \(configuration.dataDirectory)); the dropped decisions cannot be recovered"))
        }
        if let camera {
            for problem in CameraFrameSource.problems(camera.snapshot, stallSeconds: configuration.cameraStallSeconds) {
                findings.append(.init(
                    .critical, problem,
                    action: "check the camera's cable and power; bollardctl camera shows its state, bollardctl camera snapshot FILE.jpg what it sees"))
            }
        }
        if let refusal = link.signingKeyRefusal {
            findings.append(.init(
                .critical, "central refuses this gate's event signing key (signing_key_mismatch), its events are flagged: \(refusal)",
                action: "restore this gate's original signing.key, or register the new one at central: bollard-central gates register … --signing-key KEY"))
        }
        if health.bufferDepth >= 0, Double(health.bufferDepth) >= 0.8 * Double(health.bufferCapacity) {
            findings.append(.init(
                .critical, "event buffer \(health.bufferDepth)/\(health.bufferCapacity) full: authorised passages are being dropped first",
                action: "restore the link to central (bollardctl sync says why it is down); events leave as soon as it is back"))
        }
        if let problem = Self.clockProblem(controller.clock) {
            findings.append(.init(.critical, problem, action: "fix the time: timedatectl status; chronyc tracking (is NTP reachable?)"))
        }
        if !sync.isConnected, let finding = connectionFinding(link) { findings.append(finding) }
        if !sync.isConnected {
            let since = link.secondsSinceCentral.map { String(format: "for %.0f s", $0) } ?? "since start"
            findings.append(.init(
                .warning,
                "central unreachable at \(link.endpoint) \(since)" + (sync.centrals.count > 1 ? " (and at the other endpoints tried)" : "")
                    + ": deciding offline with permit seq \(health.permitSeq)"
                    + (link.lastError.map { "; last error: \($0)" } ?? ""),
                action: "bollardctl sync tells why; check the network and that bollard-central runs; events wait safely in the buffer"))
        }
        if let head = link.centralHeadSeq, head > health.permitSeq {
            findings.append(.init(
                .warning, "permits \(head - health.permitSeq) changes behind central",
                action: "normally catches up within seconds; if it stays behind, bollardctl sync"))
        }
        if health.oldestUnsentSeconds > 60 {
            findings.append(.init(
                .warning, String(format: "oldest unsent event is %.0f s old", health.oldestUnsentSeconds),
                action: "events are not reaching central: bollardctl sync"))
        }
        if dropped.authorised + dropped.exit > 0 {
            findings.append(.init(
                .warning, "\(dropped.authorised) authorised passages and \(dropped.exit) exits dropped for lack of space",
                action: "keep the link to central up and the disk free; bollardctl buffer shows the counts"))
        }
        if let evidence = try? controller.buffer.evidenceStorage(), evidence.dropped > 0 {
            findings.append(.init(
                .warning, "\(evidence.dropped) evidence images dropped by the storage bounds (age or the \(configuration.evidenceQuotaMiB) MiB quota)",
                action: "their events are kept, without those images; keep the link to central up, or raise evidence_quota_mib if the disk allows"))
        }
        if health.diskFreeBytes >= 0, health.diskFreeBytes < 100 << 20 {
            findings.append(.init(
                .warning, "disk almost full: \(health.diskFreeBytes >> 20) MiB free",
                action: "free space on \(configuration.dataDirectory) (df -h)"))
        }
        if sync.isConnected, let error = link.lastError, error.hasPrefix("could not take a message from central") {
            findings.append(.init(.warning, error, action: "update this gate's software to central's version"))
        }
        if configuration.allowInjection {
            findings.append(.init(
                .notice, "injection is allowed (allow_injection = true): injected reads are marked and never become fines",
                action: "set allow_injection = false once commissioning is done, and restart the gate"))
        }
        // Stable: within a severity, the order above (the more telling first).
        return findings.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }.map(\.element)
    }

    /// Why the gate cannot connect, with the fix, when the socket monitor told it.
    func connectionFinding(_ link: SyncClient.Link) -> DiagnosticsFinding? {
        link.diagnosis.map {
            ConnectionDiagnosis.finding(
                $0, endpoint: link.endpoint, centralKeyFile: Self.element(configuration.resolvedCentralPublicKeyFiles, link.endpointIndex),
                gateID: configuration.gateID, keyFile: configuration.resolvedKeyFile)
        }
    }

    /// The camera's state as the status reports it.
    static func cameraStatus(_ state: CameraState, now: Date = Date()) -> CameraStatus {
        CameraStatus(
            device: state.device, streaming: state.streaming, format: state.format,
            framesPerSecond: state.measuredFramesPerSecond, lastFrameAgeSeconds: state.lastFrameAge(now: now),
            reopenCount: state.reopenCount, lastError: state.lastError, framesCaptured: state.framesCaptured,
            framesAnalysed: state.framesAnalysed, framesSkipped: state.framesSkipped, framesDropped: state.framesDropped,
            exposure: state.exposure, gain: state.gain)
    }

    /// The clock finding, in plain words, when the gate's clock is off by more than allowed.
    static func clockProblem(_ clock: ClockCheck) -> String? {
        guard let offset = clock.offsetMilliseconds, abs(offset) > clock.maxSkewMilliseconds else { return nil }
        let direction = offset < 0 ? "ahead of" : "behind"
        return String(
            format: "clock is %.1f s %@ central's (allowed %.1f s): violations go to review until it is corrected (check NTP)",
            Double(abs(offset)) / 1000, direction, Double(clock.maxSkewMilliseconds) / 1000)
    }
}
