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

        func validate() throws {
            if let problem = InputLimits.gateIDProblem(id, field: "--id") { throw ValidationError(problem.description) }
            if let problem = InputLimits.zoneIDProblem(zone, field: "--zone") { throw ValidationError(problem.description) }
            guard Direction(rawValue: direction) != nil else { throw ValidationError("--direction must be entry or exit") }
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
                print("\(record.gate.id)\t\(record.gate.zone)\t\(record.gate.direction.rawValue)\t\(record.revoked ? "revoked" : "registered")\t\(record.publicKey)")
            }
        }
    }
}
