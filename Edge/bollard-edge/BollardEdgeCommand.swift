import ArgumentParser

/// `bollard-edge`: the gate daemon and its offline tools.
@main
struct BollardEdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bollard-edge",
        abstract: "Bollard gate unit: reads plates, decides locally, buffers and uploads events.",
        subcommands: [RecognizeCommand.self]
    )
}
