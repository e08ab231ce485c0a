import ArgumentParser
import CentralCore
import Evidence
import Foundation

extension BollardCentralCommand {
    /// Central's keys that others must be given: the signing key's public half is what
    /// police and courts check evidence bundles against (`bollardctl evidence verify --central-key`).
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys", abstract: "Show central's public keys.", subcommands: [ShowSigning.self])
    }
}

extension BollardCentralCommand.Keys {
    struct ShowSigning: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show-signing",
            abstract: "Print central's Ed25519 evidence-signing public key (created on first use), as a file `--central-key` reads.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let configuration = try store.configuration
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
            let key = try SigningKey.loadOrCreate(path: configuration.signingKeyFile)
            print("# Bollard central evidence-signing public key (Ed25519); give to `bollardctl evidence verify --central-key FILE`")
            print("signing-public-key = \"\(key.publicKeyBase64)\"")
        }
    }
}
