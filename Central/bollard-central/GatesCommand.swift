import ArgumentParser
import BollardSupport
import CentralCore
import Domain
import Foundation
import ZMQ

extension BollardCentralCommand {
    struct Gates: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gates", abstract: "Register and revoke gate keys.",
            subcommands: [Register.self, Revoke.self, List.self])
    }
}

extension BollardCentralCommand.Gates {
    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Admit a gate's public key.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Gate id.") var id: String
        @Option(help: "Zone the gate guards.") var zone = "casco-viejo"
        @Option(help: "entry or exit.") var direction = "entry"
        @Option(help: "The gate's public key file (gate.pub) or the 40-character key itself.") var key: String
        @Flag(help: "Give an already registered gate id a new key; its old key stops working.") var replaceKey = false
        @Option(help: ArgumentHelp(
            "The gate's event signing public key (base64, printed by 'bollardctl keygen' and in the gate's log at first start); "
                + "without it, central pins the key the gate announces at its first hello.")) var signingKey: String?

        func validate() throws {
            if let problem = InputLimits.gateIDProblem(id, field: "--id") { throw ValidationError(problem.description) }
            if let problem = InputLimits.zoneIDProblem(zone, field: "--zone") { throw ValidationError(problem.description) }
            guard Direction(rawValue: direction) != nil else { throw ValidationError("--direction must be entry or exit") }
            if let signingKey, !CentralStore.isSigningKey(signingKey) {
                throw ValidationError("--signing-key must be the gate's 32-byte Ed25519 public key in base64 (44 characters)")
            }
        }

        func run() throws {
            let direction = Direction(rawValue: direction) ?? .entry
            let publicKey: String
            if FileManager.default.fileExists(atPath: key) {
                publicKey = try KeyFile.read(path: key).publicKey
            } else if CurveKeyPair.isValidKey(key) {
                publicKey = key
            } else {
                throw AdminError.notAKey(key)
            }
            guard CurveKeyPair.isValidKey(publicKey) else { throw AdminError.notAKey(key) }
            let opened = try store.openStore()
            if let central = try? KeyFile.read(path: store.configuration.publicKeyFile), central.publicKey == publicKey {
                throw AdminError.centralKeyGiven
            }
            try opened.registerGate(Gate(id: id, zone: zone, direction: direction), publicKey: publicKey, replaceKey: replaceKey)
            if let signingKey {
                try opened.setSigningKey(gateID: id, publicKey: signingKey)
            } else if replaceKey {
                // A new gate unit has a new signing key too: pin the one it announces.
                try opened.forgetSigningKey(gateID: id)
            }
            print("gate \(id) registered")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a gate's key from now on.")
        @OptionGroup var store: StoreOptions
        @Argument var id: String
        func run() throws {
            guard try store.openStore().revokeGate(id: id) else { throw AdminError.noGate(id) }
            print("gate \(id) revoked")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered gates.")
        @OptionGroup var store: StoreOptions
        func run() throws {
            for record in try store.openStore().gates() {
                let signing = record.signingKey.map { "\($0) (\(record.signingKeySource ?? "registered"))" } ?? "no signing key yet"
                print("\(record.gate.id)\t\(record.gate.zone)\t\(record.gate.direction.rawValue)\t\(record.revoked ? "revoked" : "registered")\t\(record.publicKey)\t\(signing)")
            }
        }
    }
}
