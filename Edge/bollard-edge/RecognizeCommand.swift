import ArgumentParser
import Capture
import Foundation
import PlateRecognition

/// `bollard-edge recognize`: reads plates in still images (owned by the recognition work, issue 3),
/// or in a video with `--video FILE.y4m`.
///
/// A video runs the gate's own path (recogniser → tracker) as fast as it can and
/// prints one line per vehicle the tracker emits; with `--json` exactly
/// `{"frame": N, "plates": [{"text": …, "confidence": …, "box": [x, y, w, h]}]}`
/// (what tools/score-video reads), `frame` being the frame kept as evidence. A
/// summary (frames, frames/s, ms per frame by stage) goes to stderr. A corrupt
/// or truncated file prints the vehicles before the damage, then the error naming
/// the frame and byte offset, and exits 1.
///
/// Images: one line per image, in argument order. A file that cannot be read or decoded
/// gets an error line (stderr; with `--json` also a JSON line with `"error"` and
/// no plates) and the other files are still read; the exit code is 1 then.
struct RecognizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recognize",
        abstract: "Recognise plates in image files (one line per image) or a .y4m video (one line per vehicle)."
    )

    @Option(help: "A YUV4MPEG2 (.y4m) video: print one line per vehicle the tracker emits.")
    var video: String?

    @Flag(help: "Print JSON lines in the format tools/score-plates reads.")
    var json = false

    @Option(help: "The recogniser's model file (default: the packaged plates.bmodel).")
    var model: String?

    @Option(help: "How rows are read: characters (glyph by glyph) or whole-plate (the CNN reader of a version 2 or 3 model file).")
    var reader: PlateRecognizer.Reader = .wholePlate

    @Flag(help: ArgumentHelp("Print the detector's rows and character guesses (tuning aid).", visibility: .hidden))
    var explain = false

    @Flag(help: ArgumentHelp("With --json: add each whole-plate read's evidence (for fitting its calibration offline).", visibility: .hidden))
    var evidence = false

    @Argument(help: "Image files (JPEG, PGM, PPM).")
    var images: [String] = []

    func validate() throws {
        if video == nil, images.isEmpty { throw ValidationError("give image files or --video FILE.y4m") }
        if video != nil, !images.isEmpty { throw ValidationError("give either image files or --video, not both") }
    }

    /// The model named by --model, or the packaged one; a bad file ends the command (exit 78).
    func loadModel() throws -> RecognitionModel {
        let loaded: RecognitionModel
        do {
            loaded = try RecognitionModel.load(path: model)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(78)
        }
        if reader == .wholePlate, !loaded.hasWholePlateReader {
            FileHandle.standardError.write(Data("error: recognition model \(model ?? "(packaged)") has no whole-plate reader (format version 1); use --reader characters\n".utf8))
            throw ExitCode(78)
        }
        return loaded
    }

    var recognizerConfiguration: PlateRecognizer.Configuration {
        var configuration = PlateRecognizer.Configuration()
        configuration.reader = reader
        return configuration
    }

    func run() throws {
        let loaded = try loadModel()
        if let video { return try recognizeVideo(video, model: loaded) }
        let recognizer = PlateRecognizer(model: loaded, configuration: recognizerConfiguration)
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
                        + "\"chars\": [\(p.characterConfidences.map { format($0, 3) }.joined(separator: ", "))]"
                        + (evidence ? evidenceJSON(p) : "") + "}"
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

extension RecognizeCommand {
    func recognizeVideo(_ path: String, model: RecognitionModel) throws {
        let recognition = VideoRecognition(recognizer: PlateRecognizer(model: model, configuration: recognizerConfiguration))
        do {
            let summary = try recognition.run(path: path) { read in
                print(json ? VideoRecognition.jsonLine(read) : VideoRecognition.textLine(read))
            }
            FileHandle.standardError.write(Data("\(path): \(summary.line)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `, "evidence": {…}` for a whole-plate read, with its layout; nothing for a character read.
private func evidenceJSON(_ p: PlateCandidate) -> String {
    guard let e = p.evidence else { return "" }
    return ", \"layout\": \(jsonString("\(p.layout)")), \"evidence\": {\"probability\": \(format(e.probability, 6)), \"minimum\": \(format(e.minimum, 6)), "
        + "\"skipped\": \(format(e.skipped, 4)), \"dropped\": \(e.droppedUnsupported), \"unread\": \(e.unreadGlyphs), \"inverted\": \(e.inverted), \"disputed\": \(e.disputed), "
        + "\"disagree\": \(e.readersDisagree), \"rival_ratio\": \(format(e.rivalRatio, 6))"
        + (e.rivalText.map { ", \"rival_text\": \(jsonString($0))" } ?? "")
        + (e.characterText.map { ", \"character_text\": \(jsonString($0))" } ?? "")
        + (e.characterConfidence.map { ", \"character_confidence\": \(format($0, 4))" } ?? "") + "}"
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

extension PlateRecognizer.Reader: ExpressibleByArgument {}
