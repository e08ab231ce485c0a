import Capture
import Domain
import Foundation
import WireProtocol

/// Answers the technician's socket: the gate's status with plain-language
/// findings, and injected reads.
public struct DiagnosticsHandler: Sendable {
    let configuration: EdgeConfiguration
    let controller: GateController
    let sync: SyncClient
    /// The camera's state, when one is configured.
    let camera: CameraMonitor?

    public init(configuration: EdgeConfiguration, controller: GateController, sync: SyncClient, camera: CameraMonitor? = nil) {
        self.configuration = configuration
        self.controller = controller
        self.sync = sync
        self.camera = camera
    }

    /// One JSON line in, one JSON line out; bad input gets an error reply.
    public func answer(_ line: String) -> String {
        let reply: DiagnosticsReply
        do {
            let request = try JSONDecoder().decode(DiagnosticsRequest.self, from: Data(line.utf8))
            reply = respond(to: request)
        } catch let error as WireError {
            reply = .failure(error.description)
        } catch {
            reply = .failure("not a request: expected {\"cmd\": \"status\"} or {\"cmd\": \"inject\", \"plate\": …}")
        }
        return String(decoding: WireCodec.encode(reply), as: UTF8.self)
    }

    func respond(to request: DiagnosticsRequest) -> DiagnosticsReply {
        switch request {
        case .status:
            return DiagnosticsReply(ok: true, status: status())
        case .inject(let plate, let confidence):
            guard (0...1).contains(confidence) else { return .failure("confidence must be within 0...1") }
            // A technician's typo must not become another vehicle's passage: refuse, saying which character.
            do { _ = try PlateText(validating: plate) } catch { return .failure(error.description) }
            do {
                let event = try controller.handle(PlateRead(text: plate, confidence: confidence, at: Date()))
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
        let sinceCentral = link.secondsSinceCentral
        var problems: [String] = []
        if let storage = controller.storageProblem {
            problems.append("cannot write the event buffer (\(storage.error)): \(storage.held) decisions held in memory")
        }
        if !connected {
            let since = sinceCentral.map { String(format: "for %.0f s", $0) } ?? "since start"
            problems.append("central unreachable at \(configuration.centralEndpoint) \(since): deciding offline with permit seq \(health.permitSeq)"
                + (link.lastError.map { "; last error: \($0)" } ?? ""))
        }
        if let refusal = link.signingKeyRefusal {
            problems.append("central refuses this gate's event signing key (signing_key_mismatch), its events are flagged: \(refusal)")
        }
        if let problem = Self.clockProblem(controller.clock) {
            problems.append(problem)
        }
        if let head = link.centralHeadSeq, head > health.permitSeq {
            problems.append("permits \(head - health.permitSeq) changes behind central")
        }
        if health.bufferDepth >= 0, Double(health.bufferDepth) >= 0.8 * Double(health.bufferCapacity) {
            problems.append("event buffer \(health.bufferDepth)/\(health.bufferCapacity) full: authorised passages are being dropped first")
        }
        if health.oldestUnsentSeconds > 60 {
            problems.append(String(format: "oldest unsent event is %.0f s old", health.oldestUnsentSeconds))
        }
        let dropped = controller.dropped
        if dropped.violation + dropped.review > 0 {
            problems.append("\(dropped.violation) violations and \(dropped.review) reviews DROPPED: the disk refused them and memory was full")
        }
        if dropped.authorised + dropped.exit > 0 {
            problems.append("\(dropped.authorised) authorised passages and \(dropped.exit) exits dropped for lack of space")
        }
        if let camera {
            problems += CameraFrameSource.problems(camera.snapshot, stallSeconds: configuration.cameraStallSeconds)
        }
        if health.diskFreeBytes >= 0, health.diskFreeBytes < 100 << 20 {
            problems.append("disk almost full: \(health.diskFreeBytes >> 20) MiB free")
        }
        if connected, let error = link.lastError, error.hasPrefix("could not take a message from central") {
            problems.append(error)
        }
        return EdgeStatus(
            gate: controller.permits.snapshot.gate, centralEndpoint: configuration.centralEndpoint,
            connected: connected, secondsSinceCentral: sinceCentral, permitCount: controller.permits.snapshot.index.count,
            health: health, problems: problems, camera: camera.map { Self.cameraStatus($0.snapshot) })
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
