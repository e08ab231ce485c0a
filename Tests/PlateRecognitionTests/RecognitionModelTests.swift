import Foundation
import Testing
@testable import PlateRecognition

/// Issue 9, item 6: the model is a file, checked before the gate trusts it.
@Suite struct RecognitionModelTests {
    private static func packagedBytes() throws -> [UInt8] {
        let url = try #require(RecognitionModel.packagedCandidates.first { FileManager.default.fileExists(atPath: $0.path) })
        return [UInt8](try Data(contentsOf: url))
    }

    private static func headerLength(_ bytes: [UInt8]) -> Int {
        Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
    }

    /// The file with its JSON header edited (the weights and their hash left as they are).
    private static func withHeader(_ bytes: [UInt8], _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let n = headerLength(bytes)
        var header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + n)])) as? [String: Any])
        edit(&header)
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let length = UInt32(json.count)
        let prefix = Array(bytes[0..<12]) + [UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24)]
        return prefix + json + Array(bytes[(16 + n)...])
    }

    private static func cause(_ bytes: [UInt8]) -> RecognitionModelError.Cause? {
        do {
            _ = try RecognitionModel.load(bytes: bytes, path: "test.bmodel")
            return nil
        } catch {
            #expect(error.path == "test.bmodel")
            #expect(error.description.hasPrefix("recognition model test.bmodel "))
            return error.cause
        }
    }

    @Test("The packaged model loads with its three members and training commands, and reads a rendered plate")
    func packagedModelLoadsAndReads() throws {
        let model = try RecognitionModel.packaged()
        #expect(model.members.count == 3)
        #expect(model.commands.count == 3 && model.commands.allSatisfy { $0.hasPrefix("train_ocr.py --seed ") })
        #expect(model.payloadSHA256.count == 64)
        #expect(model.members.allSatisfy { $0.layers.first?.inputs == 640 && $0.layers.last?.outputs == 37 })
        let reads = PlateRecognizer(model: model).recognize(try Fixtures.image("scene_0004.jpg"))
        #expect(reads.first?.text == "6307HHP")
        // the same file from its path, as `recognition_model` names it
        let url = try #require(RecognitionModel.packagedCandidates.first { FileManager.default.fileExists(atPath: $0.path) })
        #expect(try RecognitionModel.load(path: url.path).payloadSHA256 == model.payloadSHA256)
    }

    @Test("A changed weight byte is refused as a checksum mismatch")
    func wrongHash() throws {
        var bytes = try Self.packagedBytes()
        bytes[bytes.count - 5] ^= 0x01
        guard case .checksumMismatch(let expected, let actual) = Self.cause(bytes) else {
            Issue.record("expected a checksum mismatch, got \(String(describing: Self.cause(bytes)))")
            return
        }
        #expect(expected != actual)
    }

    @Test("A truncated file is refused as truncated, wherever it was cut")
    func truncated() throws {
        let bytes = try Self.packagedBytes()
        let n = Self.headerLength(bytes)
        for length in [bytes.count - 1, bytes.count - 100_000, 16 + n + 10, 16 + n / 2, 10, 0] {
            let cause = Self.cause(Array(bytes.prefix(length)))
            guard case .truncated(_, let actual) = cause else {
                Issue.record("cut at \(length): expected truncated, got \(String(describing: cause))")
                continue
            }
            #expect(actual == length)
        }
        #expect(Self.cause(bytes + [0]) == .trailingBytes(expectedBytes: bytes.count, actualBytes: bytes.count + 1))
    }

    @Test("A layer table that does not fit the recogniser or the weights is refused as a shape mismatch")
    func wrongShape() throws {
        let bytes = try Self.packagedBytes()
        func editedLayers(_ change: @escaping ([[Int]]) -> [[Int]]) throws -> [UInt8] {
            try Self.withHeader(bytes) { header in
                var members = header["members"] as! [[String: Any]]
                members[0]["layers"] = change(members[0]["layers"] as! [[Int]])
                header["members"] = members
            }
        }
        let variants: [[UInt8]] = [
            try editedLayers { l in [[640, 255]] + l.dropFirst() },  // does not chain, fewer weights
            try editedLayers { l in l.dropLast() + [[l[l.count - 1][0], 36]] },  // 36 classes
            try editedLayers { l in [[600, l[0][1]]] + l.dropFirst() },  // another crop size
            try Self.withHeader(bytes) { $0["payload_bytes"] = ($0["payload_bytes"] as! Int) + 4 },
        ]
        for (index, variant) in variants.enumerated() {
            let cause = Self.cause(variant)
            guard case .shapeMismatch = cause else {
                Issue.record("variant \(index): expected a shape mismatch, got \(String(describing: cause))")
                continue
            }
        }
    }

    @Test("Wrong magic, version, alphabet or header each have their own error")
    func otherDamage() throws {
        let bytes = try Self.packagedBytes()
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(Self.cause(magic) == .notAModelFile)
        var version = bytes
        version[8] = 9
        #expect(Self.cause(version) == .unsupportedVersion(found: 9, supported: 3))
        let alphabet = try Self.withHeader(bytes) { $0["alphabet"] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXY" }
        #expect(Self.cause(alphabet) == .alphabetMismatch(found: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXY"))
        var header = bytes
        header[16] = UInt8(ascii: "[")
        guard case .malformedHeader = Self.cause(header) else {
            Issue.record("expected a malformed header, got \(String(describing: Self.cause(header)))")
            return
        }
    }

    @Test("A model path that does not exist is a clear error naming it")
    func missingFile() {
        #expect(throws: RecognitionModelError.self) { try RecognitionModel.load(path: "/nonexistent/plates.bmodel") }
        do {
            _ = try RecognitionModel.load(path: "/nonexistent/plates.bmodel")
        } catch {
            #expect(error.path == "/nonexistent/plates.bmodel")
            guard case .unreadable = error.cause else {
                Issue.record("expected unreadable, got \(error.cause)")
                return
            }
        }
    }
}
