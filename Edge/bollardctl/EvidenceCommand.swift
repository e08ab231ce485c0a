import ArgumentParser
import Evidence
import Foundation

extension BollardCtlCommand {
    /// Offline checks of evidence bundles, for police, courts and their experts.
    struct EvidenceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evidence", abstract: "Check evidence bundles offline.", subcommands: [Verify.self])
    }
}

extension BollardCtlCommand.EvidenceCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify an evidence bundle: countersignature, file hashes, the gate's signature, images and hash chain. Exits 1 on any failure.")
        @Argument(help: "The bundle, a ZIP from central.") var bundle: String
        @Option(help: "Central's signing public key (from `bollard-central keys show-signing`), a file.") var centralKey: String?
        @Option(help: "The gate's signing public key, a file (its key file or the 44-character base64 key).") var gateKey: String?

        func run() throws {
            let central = try centralKey.map { try SigningKey.publicKey(path: $0) }
            let gate = try gateKey.map { try SigningKey.publicKey(path: $0) }
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: bundle)) } catch {
                throw VerifyError.unreadable(path: bundle, reason: error.localizedDescription)
            }
            let report = EvidenceVerifier.verify(data, centralKey: central, gateKey: gate)
            print("bundle \(bundle)")
            for line in report.lines {
                let tag = switch line.outcome {
                case .passed: "ok  "
                case .note: "note"
                case .failed: "FAIL"
                }
                print("  \(tag)  \(line.text)")
            }
            if let hash = report.eventHash { print("event hash (the sanctions export's evidence_sha256): \(hash)") }
            if report.holds {
                print(central == nil ? "VERIFIED (countersignature checked against the key inside the bundle only)" : "VERIFIED")
            } else {
                print("NOT VERIFIED: \(report.problems.count) failure\(report.problems.count == 1 ? "" : "s")")
                throw ExitCode(1)
            }
        }
    }

    /// The bundle file itself could not be read (not a failure of the bundle).
    enum VerifyError: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)

        var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
            }
        }
    }
}
