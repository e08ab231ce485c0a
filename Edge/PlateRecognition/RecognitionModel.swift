import Crypto
import Foundation

/// The trained character models, read from a versioned model file (`plates.bmodel`).
///
/// The weights live in a file rather than in Swift sources so a gate can be given a
/// newly trained model without a new build, and so the file can be checked before the
/// gate trusts it: magic, format version, alphabet, layer table and a SHA-256 of the
/// weights. Layout (little-endian), written by Edge/Training/model_file.py:
///
///     0    8 bytes  magic "BOLLOCR\0"
///     8    u32      format version (1; 2 with the whole-plate reader; 3 with its calibration)
///     12   u32      header length N
///     16   N bytes  JSON: alphabet, input [w, h], members [{layers [[in, out]…], command}],
///                   payload_bytes, payload_sha256
///     16+N          payload: per member, per layer, W (out x in, row-major) then b, float32;
///                   version 2: then per reader layer W (out x in x kh x kw) then b
///
/// Version 2's header adds `reader`: input [w, h], window [top, bottom, side], blank,
/// command, and its conv layers [{in, out, kh, kw, ph, pw, relu, pool [h, w]}].
/// Version 3's reader adds `calibration`: {score: {log_probability, log_minimum, skipped,
/// bias}, knots [[score, confidence]…], command}, the fitted confidence mapping.
public struct RecognitionModel: Sendable {
    public static let magic: [UInt8] = Array("BOLLOCR\0".utf8)
    /// The newest format this build reads; version 1 (no whole-plate reader) still loads.
    public static let formatVersion: UInt32 = 3
    public static let supportedVersions: ClosedRange<UInt32> = 1...3
    /// Name of the packaged copy, an SwiftPM resource of this module.
    public static let packagedName = "plates.bmodel"

    /// One ensemble member's training command, as the header records it.
    public let commands: [String]
    /// Hex SHA-256 of the weights, as checked at load.
    public let payloadSHA256: String
    let members: [CharacterModel]
    /// The whole-plate reader (format version 2 or 3), nil in a version 1 file.
    let reader: ReaderModel?

    /// Whether the file carries the whole-plate reader.
    public var hasWholePlateReader: Bool { reader != nil }
    /// The reader's training command, as the header records it.
    public var readerCommand: String? { reader?.command }
    /// Whether the reader's confidence is calibrated (format version 3).
    public var hasCalibratedReader: Bool { reader?.calibration != nil }
    /// The command that fitted the reader's calibration, as the header records it.
    public var calibrationCommand: String? { reader?.calibration?.command }

    /// Reads and checks a model file; every failure is a `RecognitionModelError` naming the file.
    public static func load(contentsOf url: URL) throws(RecognitionModelError) -> RecognitionModel {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RecognitionModelError(path: url.path, cause: .unreadable(reason: "\(error.localizedDescription)"))
        }
        return try load(bytes: [UInt8](data), path: url.path)
    }

    /// Checks and decodes the bytes of a model file; `path` only names it in errors.
    public static func load(bytes: [UInt8], path: String) throws(RecognitionModelError) -> RecognitionModel {
        func fail(_ cause: RecognitionModelError.Cause) -> RecognitionModelError { RecognitionModelError(path: path, cause: cause) }
        guard bytes.count >= 16 else { throw fail(.truncated(expectedBytes: 16, actualBytes: bytes.count)) }
        guard Array(bytes[0..<8]) == magic else { throw fail(.notAModelFile) }
        let version = u32(bytes, 8), headerLength = Int(u32(bytes, 12))
        guard supportedVersions.contains(version) else { throw fail(.unsupportedVersion(found: Int(version), supported: Int(formatVersion))) }
        guard bytes.count >= 16 + headerLength else { throw fail(.truncated(expectedBytes: 16 + headerLength, actualBytes: bytes.count)) }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)]))
        } catch {
            throw fail(.malformedHeader(reason: "\(error)"))
        }
        guard header.alphabet == String(CharacterModel.alphabet) else { throw fail(.alphabetMismatch(found: header.alphabet)) }
        guard header.input == [CharacterModel.cropWidth, CharacterModel.cropHeight] else {
            throw fail(.shapeMismatch(detail: "input \(header.input), the recogniser samples \(CharacterModel.cropWidth) x \(CharacterModel.cropHeight)"))
        }
        guard !header.members.isEmpty else { throw fail(.shapeMismatch(detail: "no members")) }
        var floatsNeeded = 0
        for (index, member) in header.members.enumerated() {
            let layers = member.layers
            guard !layers.isEmpty, layers.allSatisfy({ $0.count == 2 && $0[0] > 0 && $0[1] > 0 && $0[0] <= 1 << 16 && $0[1] <= 1 << 16 }) else {
                throw fail(.shapeMismatch(detail: "member \(index + 1): layers \(layers)"))
            }
            guard layers[0][0] == CharacterModel.cropWidth * CharacterModel.cropHeight,
                  layers[layers.count - 1][1] == CharacterModel.alphabet.count + 1,
                  zip(layers, layers.dropFirst()).allSatisfy({ $0[1] == $1[0] })
            else {
                throw fail(.shapeMismatch(detail: "member \(index + 1): layers \(layers) do not chain from \(CharacterModel.cropWidth * CharacterModel.cropHeight) inputs to \(CharacterModel.alphabet.count + 1) classes"))
            }
            floatsNeeded += layers.reduce(0) { $0 + $1[0] * $1[1] + $1[1] }
        }
        if version == 1, header.reader != nil { throw fail(.malformedHeader(reason: "a version 1 file cannot carry a reader")) }
        if version >= 2, header.reader == nil { throw fail(.malformedHeader(reason: "version \(version) without its reader")) }
        if version == 2, header.reader?.calibration != nil { throw fail(.malformedHeader(reason: "a version 2 file cannot carry a calibration")) }
        if version >= 3, header.reader?.calibration == nil { throw fail(.malformedHeader(reason: "version 3 without the reader's calibration")) }
        var readerShell: ReaderModel?
        if let r = header.reader {
            readerShell = try checkedReader(r, fail: fail)
            if let c = r.calibration { readerShell?.calibration = try checkedCalibration(c, fail: fail) }
            floatsNeeded += r.layers.reduce(0) { $0 + $1.out * $1.in * $1.kh * $1.kw + $1.out }
        }
        guard header.payloadBytes == floatsNeeded * 4 else {
            throw fail(.shapeMismatch(detail: "the layer table holds \(floatsNeeded * 4) bytes of weights, the header says \(header.payloadBytes)"))
        }
        let payloadStart = 16 + headerLength
        let expectedSize = payloadStart + header.payloadBytes
        guard bytes.count >= expectedSize else { throw fail(.truncated(expectedBytes: expectedSize, actualBytes: bytes.count)) }
        guard bytes.count == expectedSize else { throw fail(.trailingBytes(expectedBytes: expectedSize, actualBytes: bytes.count)) }
        let payload = bytes[payloadStart...]
        let digest = sha256Hex(payload)
        guard digest == header.payloadSHA256.lowercased() else { throw fail(.checksumMismatch(expected: header.payloadSHA256, actual: digest)) }

        var offset = payloadStart
        func floats(_ count: Int) -> [Float] {
            defer { offset += count * 4 }
            return (0..<count).map { Float(bitPattern: u32(bytes, offset + $0 * 4)) }
        }
        var members: [CharacterModel] = []
        for member in header.members {
            var layers: [CharacterModel.Layer] = []
            for shape in member.layers {
                let inputs = shape[0], outputs = shape[1]
                let weights = floats(inputs * outputs)
                let bias = floats(outputs)
                layers.append(CharacterModel.Layer(inputs: inputs, outputs: outputs, weights: weights, bias: bias))
            }
            members.append(CharacterModel(layers: layers))
        }
        var reader: ReaderModel?
        if let shell = readerShell {
            let layers = shell.layers.map { l in
                let weights = floats(l.outputs * l.inputs * l.kernelHeight * l.kernelWidth)
                return ReaderModel.Conv(
                    inputs: l.inputs, outputs: l.outputs, kernelHeight: l.kernelHeight, kernelWidth: l.kernelWidth,
                    padHeight: l.padHeight, padWidth: l.padWidth, relu: l.relu, poolHeight: l.poolHeight, poolWidth: l.poolWidth,
                    weights: weights, bias: floats(l.outputs))
            }
            reader = ReaderModel(width: shell.width, height: shell.height, top: shell.top, bottom: shell.bottom, side: shell.side,
                                 blank: shell.blank, layers: layers, command: shell.command, calibration: shell.calibration)
        }
        return RecognitionModel(commands: header.members.map(\.command), payloadSHA256: digest, members: members, reader: reader)
    }

    /// The reader's layer table checked against itself and the recogniser: one input
    /// channel, chained channels, kernels and pools in bounds, one row and at least
    /// 16 columns left at the end, one output per class and the blank. Weights empty.
    private static func checkedReader(_ r: Header.Reader, fail: (RecognitionModelError.Cause) -> RecognitionModelError) throws(RecognitionModelError) -> ReaderModel {
        func shape(_ detail: String) -> RecognitionModelError { fail(.shapeMismatch(detail: "reader: \(detail)")) }
        guard r.input.count == 2, (8...512).contains(r.input[0]), (8...128).contains(r.input[1]) else { throw shape("input \(r.input)") }
        guard r.window.count == 3, r.window.allSatisfy({ $0 >= 0 && $0 <= 4 }) else { throw shape("window \(r.window)") }
        guard r.blank == CharacterModel.alphabet.count else { throw shape("blank class \(r.blank), expected \(CharacterModel.alphabet.count)") }
        guard !r.layers.isEmpty, r.layers.count <= 16 else { throw shape("\(r.layers.count) layers") }
        var channels = 1
        var convs: [ReaderModel.Conv] = []
        for (i, l) in r.layers.enumerated() {
            guard l.in == channels, (1...512).contains(l.out), (1...7).contains(l.kh), (1...7).contains(l.kw),
                  (0...3).contains(l.ph), (0...3).contains(l.pw), l.pool.count == 2, (1...4).contains(l.pool[0]), (1...4).contains(l.pool[1])
            else { throw shape("layer \(i + 1) (\(l.in) -> \(l.out), kernel \(l.kh)x\(l.kw), pool \(l.pool)) does not chain from \(channels) channels") }
            channels = l.out
            convs.append(ReaderModel.Conv(inputs: l.in, outputs: l.out, kernelHeight: l.kh, kernelWidth: l.kw, padHeight: l.ph, padWidth: l.pw,
                                          relu: l.relu, poolHeight: l.pool[0], poolWidth: l.pool[1], weights: [], bias: []))
        }
        guard channels == CharacterModel.alphabet.count + 1 else { throw shape("\(channels) outputs, expected \(CharacterModel.alphabet.count + 1) (0-9A-Z and the blank)") }
        guard let shapes = ReaderModel.shapes(convs, width: r.input[0], height: r.input[1]), let last = shapes.last, last.h == 1, last.w >= 16 else {
            throw shape("the layers do not end in one row of at least 16 columns from a \(r.input[0]) x \(r.input[1]) input")
        }
        return ReaderModel(width: r.input[0], height: r.input[1], top: Float(r.window[0]), bottom: Float(r.window[1]), side: Float(r.window[2]),
                           blank: r.blank, layers: convs, command: r.command)
    }

    /// The calibration table checked: finite coefficients, at least two knots, scores
    /// strictly increasing, confidences in [0, 1] and never decreasing (a higher score
    /// must never mean a lower confidence).
    private static func checkedCalibration(_ c: Header.Reader.Calibration, fail: (RecognitionModelError.Cause) -> RecognitionModelError) throws(RecognitionModelError) -> ReaderCalibration {
        func bad(_ detail: String) -> RecognitionModelError { fail(.malformedHeader(reason: "reader calibration: \(detail)")) }
        let s = c.score
        guard [s.logProbability, s.logMinimum, s.skipped, s.bias].allSatisfy({ $0.isFinite && abs($0) <= 1e4 }) else { throw bad("score coefficients not finite") }
        guard (2...256).contains(c.knots.count), c.knots.allSatisfy({ $0.count == 2 && $0[0].isFinite && $0[1].isFinite }) else {
            throw bad("\(c.knots.count) knots; 2 to 256 pairs [score, confidence] expected")
        }
        for (a, b) in zip(c.knots, c.knots.dropFirst()) {
            guard b[0] > a[0] else { throw bad("scores not strictly increasing at \(b[0])") }
            guard b[1] >= a[1] else { throw bad("confidence decreases at score \(b[0])") }
        }
        guard c.knots.allSatisfy({ (0...1).contains($0[1]) }) else { throw bad("a confidence outside [0, 1]") }
        return ReaderCalibration(
            logProbability: Float(s.logProbability), logMinimum: Float(s.logMinimum), skipped: Float(s.skipped), bias: Float(s.bias),
            knots: c.knots.map { (Float($0[0]), Float($0[1])) }, command: c.command)
    }

    /// Where the packaged copy is looked for: the SwiftPM resource bundle beside the
    /// executable (also where `swift build` puts it), then where `make install` and
    /// the Debian package put it (`installedPath`), then this source tree's copy.
    public static let installedPath = "/usr/share/bollard-edge/" + packagedName

    public static var packagedCandidates: [URL] {
        let bundle = "Bollard_PlateRecognition.resources/" + packagedName
        var urls = [Bundle.main.bundleURL.appendingPathComponent(bundle)]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        urls.append(executable.appendingPathComponent(bundle))
        urls.append(URL(fileURLWithPath: installedPath))
        urls.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/" + packagedName))
        return urls
    }

    /// The packaged model, loaded and checked once per process.
    public static func packaged() throws(RecognitionModelError) -> RecognitionModel {
        try packagedResult.get()
    }

    private static let packagedResult: Result<RecognitionModel, RecognitionModelError> = {
        let candidates = packagedCandidates
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            return .failure(RecognitionModelError(path: packagedName, cause: .packagedModelMissing(searched: candidates.map(\.path))))
        }
        do throws(RecognitionModelError) {
            return .success(try load(contentsOf: url))
        } catch {
            return .failure(error)
        }
    }()

    /// The configured model file, or the packaged copy when `path` is nil.
    public static func load(path: String?) throws(RecognitionModelError) -> RecognitionModel {
        guard let path else { return try packaged() }
        return try load(contentsOf: URL(fileURLWithPath: path))
    }

    private struct Header: Decodable {
        struct Member: Decodable {
            var layers: [[Int]]
            var command: String
        }

        var alphabet: String
        var input: [Int]
        struct Reader: Decodable {
            struct Layer: Decodable {
                var `in`: Int, out: Int, kh: Int, kw: Int, ph: Int, pw: Int
                var relu: Bool
                var pool: [Int]
            }

            var input: [Int]
            var window: [Double]
            var blank: Int
            var command: String
            var layers: [Layer]
            var calibration: Calibration?

            struct Calibration: Decodable {
                struct Score: Decodable {
                    var logProbability: Double, logMinimum: Double, skipped: Double, bias: Double
                    enum CodingKeys: String, CodingKey {
                        case logProbability = "log_probability", logMinimum = "log_minimum", skipped, bias
                    }
                }

                var score: Score
                var knots: [[Double]]
                var command: String
            }
        }

        var members: [Member]
        var reader: Reader?
        var payloadBytes: Int
        var payloadSHA256: String

        enum CodingKeys: String, CodingKey {
            case alphabet, input, members, reader
            case payloadBytes = "payload_bytes"
            case payloadSHA256 = "payload_sha256"
        }
    }

    /// Hex SHA-256, as the header records it.
    static func sha256Hex(_ bytes: ArraySlice<UInt8>) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    private static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
