import ArgumentParser

/// `bollard-edge recognize`: reads plates in still images (owned by the recognition work, issue 3).
struct RecognizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recognize",
        abstract: "Recognise plates in image files and print one line per image."
    )

    @Flag(help: "Print JSON lines in the format tools/score-plates reads.")
    var json = false

    @Argument(help: "Image files (JPEG, PGM, PPM).")
    var images: [String]

    func run() throws {
        throw ValidationError("recognition is not built yet")
    }
}
