import ArgumentParser
import CentralCore
import Foundation

extension BollardCentralCommand {
    /// Access tokens for the control centre's API and dashboard.
    struct Tokens: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list and revoke access tokens (API and dashboard).",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a token and print it once; only its hash is kept.")
            @OptionGroup var store: StoreOptions
            @Option(help: "operator, supervisor, police, integration or citizen-app.") var role: String
            @Option(help: "Who or what holds it (1-64 of a-z, A-Z, 0-9, . _ - @); audit entries name it.") var name: String

            func run() throws {
                guard let role = AccessRole(rawValue: role) else {
                    throw ValidationError("role must be one of \(AccessRole.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                do {
                    print(try store.openStore().createToken(name: name, role: role))
                } catch let error as AccessTokenError {
                    throw ValidationError(error.description)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List tokens: name, role, created, revoked.")
            @OptionGroup var store: StoreOptions

            func run() throws {
                let formatter = ISO8601DateFormatter()
                func date(_ milliseconds: Int64) -> String { formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) }
                for token in try store.openStore().tokens() {
                    let revoked = token.revokedMilliseconds.map { "revoked " + date($0) } ?? "active"
                    print("\(token.name)\t\(token.role.rawValue)\t\(date(token.createdMilliseconds))\t\(revoked)")
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token by name: it stops working at once.")
            @OptionGroup var store: StoreOptions
            @Argument(help: "The token's name.") var name: String

            func run() throws {
                guard try store.openStore().revokeToken(name: name) else { throw ValidationError("no active token named '\(name)'") }
                print("revoked \(name)")
            }
        }
    }

    /// The audit log's chain check.
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the audit log.", subcommands: [Verify.self])

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Check the audit log's hash chain; exits non-zero and names the entry that breaks it.")
            @OptionGroup var store: StoreOptions

            func run() throws {
                do {
                    let count = try AuditLog(store: store.openStore()).verify()
                    print("audit log intact: \(count) entries")
                } catch let broken as AuditLog.Break {
                    print("audit log BROKEN: \(broken)")
                    throw ExitCode(1)
                }
            }
        }
    }
}
