import ArgumentParser
import BollardSupport

/// `bollard-edge`: the gate daemon and its offline tools.
@main
struct BollardEdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bollard-edge",
        abstract: "Bollard gate unit: reads plates, decides locally, buffers and uploads events.",
        subcommands: [RunCommand.self, RecognizeCommand.self, SceneCommand.self, CheckConfigCommand.self, ConfigCommand.self]
    )

    /// Parses the kernel's copy of the command line when Swift's is empty (see `ProcessArguments`).
    static func main() async {
        await main(ProcessArguments.afterProgramName)
    }
}
