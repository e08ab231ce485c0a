import ArgumentParser
import BollardSupport
import Domain
import Evidence
import Foundation
import WireProtocol
import ZMQ

/// `bollardctl`: the technician's tool. Talks to a gate through its local
/// diagnostics socket and makes key pairs.
@main
struct BollardCtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bollardctl",
        abstract: "Diagnose a Bollard gate unit and manage keys.",
        subcommands: [
            Status.self, CameraCommand.self, ReadsCommand.self, SyncCommand.self, BufferCommand.self, PermitsCommand.self,
            ConfigCommand.self, SelftestCommand.self, LogLevelCommand.self, Inject.self, Keygen.self, EvidenceCommand.self,
        ]
    )
}

struct SocketOption: ParsableArguments {
    @Option(help: "The gate's diagnostics socket.") var socket = "data/edge/edge.sock"

    /// Asks the gate and returns its answer; a refusal (`ok: false`) is thrown as `CtlError.refused`.
    func ask(succeeding request: DiagnosticsRequest) throws -> DiagnosticsReply {
        let reply = try ask(request)
        guard reply.ok else { throw CtlError.refused(reply.error ?? "no reason given") }
        return reply
    }

    func ask(_ request: DiagnosticsRequest) throws -> DiagnosticsReply {
        let line = String(decoding: WireCodec.encode(request), as: UTF8.self)
        let answer: String
        do { answer = try UnixLineClient.request(path: socket, line: line) } catch {
            throw CtlError.unreachable(socket: socket, cause: error)
        }
        do { return try JSONDecoder().decode(DiagnosticsReply.self, from: Data(answer.utf8)) } catch {
            throw CtlError.unexpectedAnswer(String(answer.prefix(200)))
        }
    }
}

extension BollardCtlCommand {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tell what is wrong with this gate, if anything.")
        @OptionGroup var target: SocketOption
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let reply = try target.ask(.status)
            guard reply.ok, let status = reply.status else { throw CtlError.refused(reply.error ?? "no status") }
            if json {
                try printJSON(status)
                return
            }
            let health = status.health
            // Worst first, each with what to do: the first lines are the ones that matter.
            let findings = status.findings ?? status.problems.map { DiagnosticsFinding(.warning, $0, action: "") }
            for finding in findings { for line in Words.finding(finding) { print(line) } }
            if findings.isEmpty { print("OK        no problems found") }
            print("gate \(status.gate.id)  zone \(status.gate.zone)  \(status.gate.direction.rawValue)")
            print("central \(status.centralEndpoint): \(status.connected ? "connected" : "NOT CONNECTED")")
            if let line = Words.failover(endpoints: status.centralEndpoints, inUse: status.centralEndpoint, failovers: status.failovers) {
                print(line)
            }
            print("permits \(status.permitCount) at sequence \(health.permitSeq)")
            print(String(format: "buffer %d/%d, oldest unsent %.0f s, dropped authorised %lld", health.bufferDepth, health.bufferCapacity, health.oldestUnsentSeconds, health.droppedAuthorised))
            print(String(format: "reads %.1f/min, disk free %lld MiB, up %.0f s", health.recognitionRate, health.diskFreeBytes >> 20, health.uptimeSeconds))
            if let camera = status.camera { for line in Self.describe(camera) { print(line) } }
            if findings.contains(where: { $0.severity != .notice }) { throw ExitCode(1) }
        }

        /// The camera in plain words, a few lines.
        static func describe(_ camera: CameraStatus) -> [String] {
            let age = camera.lastFrameAgeSeconds.map { String(format: "last frame %.1f s ago", $0) } ?? "no frame yet"
            var lines = [
                "camera \(camera.device): " + (camera.streaming ? "streaming" : "NOT STREAMING")
                    + " \(camera.format ?? "(no format agreed)")" + String(format: " at %.1f fps", camera.framesPerSecond)
                    + ", \(age), reopened \(camera.reopenCount) times",
                "camera frames: \(camera.framesCaptured) captured, \(camera.framesAnalysed) analysed, "
                    + "\(camera.framesSkipped) skipped (nothing moved), \(camera.framesDropped) dropped (recogniser behind)",
                "camera exposure \(camera.exposure.map(String.init) ?? "not reported"), gain \(camera.gain.map(String.init) ?? "not reported")",
            ]
            if let error = camera.lastError { lines.append("camera last error: \(error)") }
            return lines
        }
    }

    struct Inject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Feed a plate read to the gate as if the camera saw it (commissioning: only with allow_injection = true; marked injected, never a fine).")
        @OptionGroup var target: SocketOption
        @Argument(help: "Plate text.") var plate: String
        @Option(help: "Read confidence, 0...1.") var confidence = 1.0

        func validate() throws {
            do { _ = try PlateText(validating: plate) } catch { throw ValidationError("\(error)") }
            guard (0...1).contains(confidence) else { throw ValidationError("--confidence must be within 0...1") }
        }

        func run() throws {
            let reply = try target.ask(.inject(plate: plate, confidence: confidence))
            guard reply.ok, let decision = reply.decision, let seq = reply.eventSeq else { throw CtlError.refused(reply.error ?? "no decision") }
            print("\(decision.rawValue) (event \(seq))")
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a CURVE key pair: BASE.key (0600) and BASE.pub, and the event signing key signing.key (0600) beside them.")
        @Argument(help: "Path without extension, e.g. /var/lib/bollard/gate.") var base: String

        func run() throws {
            let pair = try CurveKeyPair.generate()
            try KeyFile.writePair(base: base, publicKey: pair.publicKey, secretKey: pair.secretKey)
            print("wrote \(base).key and \(base).pub; public key \(pair.publicKey)")
            // The gate's default signing_key_file: it signs every event with it (created here if missing, kept if present).
            let folder = (base as NSString).deletingLastPathComponent
            let signingPath = folder.isEmpty ? "signing.key" : folder + "/signing.key"
            let existed = FileManager.default.fileExists(atPath: signingPath)
            let signing = try SigningKey.loadOrCreate(path: signingPath)
            print("\(existed ? "kept" : "wrote") \(signingPath); signing public key \(signing.publicKeyBase64) (bollard-central gates register … --signing-key)")
        }
    }
}

/// A failure talking to the gate (not a mistake in the arguments): one `Error:` line, no usage text, non-zero exit.
enum CtlError: Error, CustomStringConvertible {
    case unreachable(socket: String, cause: any Error)
    case unexpectedAnswer(String)
    /// The gate answered, refusing the request; its reason as given.
    case refused(String)

    var description: String {
        switch self {
        case .unreachable(let socket, let cause):
            "cannot reach the gate at \(socket): \(cause). Is bollard-edge running (systemctl status bollard-edge)?"
        case .unexpectedAnswer(let answer): "the gate answered something unexpected: \(answer)"
        case .refused(let reason): "the gate refused: \(reason)"
        }
    }
}
