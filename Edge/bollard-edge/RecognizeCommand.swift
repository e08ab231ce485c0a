import ArgumentParser
import Foundation
import PlateRecognition

/// `bollard-edge recognize`: reads plates in still images (owned by the recognition work, issue 3).
///
/// One line per image, in argument order. A file that cannot be read or decoded
/// gets an error line (stderr; with `--json` also a JSON line with `"error"` and
/// no plates) and the other files are still read; the exit code is 1 then.
struct RecognizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recognize",
        abstract: "Recognise plates in image files and print one line per image."
    )

    @Flag(help: "Print JSON lines in the format tools/score-plates reads.")
    var json = false

    @Flag(help: ArgumentHelp("Print the detector's rows and character guesses (tuning aid).", visibility: .hidden))
    var explain = false

    @Argument(help: "Image files (JPEG, PGM, PPM).")
    var images: [String]

    func run() throws {
        let recognizer = PlateRecognizer()
        var failures = 0
        for path in images {
            let image: GrayImage
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                image = try ImageDecoder.decode([UInt8](data))
            } catch {
                failures += 1
                let why = (error as? ImageDecodingError)?.description ?? error.localizedDescription
                FileHandle.standardError.write(Data("\(path): error: \(why)\n".utf8))
                if json { print("{\"image\": \(jsonString(path)), \"error\": \(jsonString(why)), \"plates\": []}") }
                continue
            }
            if explain { print(recognizer.explain(image), terminator: "") }
            let clock = ContinuousClock()
            var plates: [PlateCandidate] = []
            let elapsed = clock.measure { plates = recognizer.recognize(image) }
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            if json {
                let list = plates.map { p in
                    "{\"text\": \(jsonString(p.text)), \"confidence\": \(format(p.confidence, 4)), "
                        + "\"box\": [\(p.box.x), \(p.box.y), \(p.box.width), \(p.box.height)], "
                        + "\"chars\": [\(p.characterConfidences.map { format($0, 3) }.joined(separator: ", "))]}"
                }
                print("{\"image\": \(jsonString(path)), \"ms\": \(format(ms, 2)), \"plates\": [\(list.joined(separator: ", "))]}")
            } else {
                let text = plates.isEmpty ? "no plate" : plates.map { "\($0.text) (\(format($0.confidence, 2)))" }.joined(separator: ", ")
                print("\(path): \(text)  [\(format(ms, 1)) ms]")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

private func format(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}

private func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
