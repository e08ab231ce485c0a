import ArgumentParser
import CentralCore
import Foundation

extension BollardCentralCommand {
    struct Webhooks: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhooks", abstract: "Receivers of signed permit changes and confirmed violations (docs/webhooks.md).",
            subcommands: [Add.self, List.self, Remove.self])
    }
}

extension BollardCentralCommand.Webhooks {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a receiver; prints its signing secret once.")
        @OptionGroup var store: StoreOptions
        @Option(help: "A name for the receiver.") var id: String
        @Option(help: "The http(s) URL notifications are POSTed to.") var url: String
        @Option(help: "Comma-separated topics: \(CentralStore.webhookTopics.joined(separator: ", ")).")
        var topics = CentralStore.webhookTopics.joined(separator: ",")

        func run() throws {
            let secret = try store.openStore().addWebhook(id: id, url: url, topics: topics.split(separator: ",").map(String.init))
            print("webhook \(id) registered; its signing secret (shown once, give it to the receiver):")
            print(secret)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Receivers with undelivered and failing notifications.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            for hook in try store.openStore().webhooks() {
                var line = "\(hook.id)  \(hook.url)  [\(hook.topics.joined(separator: ","))]  pending \(hook.pending), failing \(hook.failing)"
                if let error = hook.lastError { line += "  last error: \(error)" }
                print(line)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a receiver and its undelivered notifications.")
        @OptionGroup var store: StoreOptions
        @Argument var id: String

        func run() throws {
            guard try store.openStore().removeWebhook(id: id) else { throw ValidationError("no webhook \(id)") }
            print("webhook \(id) removed")
        }
    }
}
