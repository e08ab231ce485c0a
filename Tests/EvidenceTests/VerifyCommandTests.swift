import Evidence
import Foundation
import Testing

/// `bollardctl evidence verify` as a police expert runs it: the built binary, files on disk.
@Suite("bollardctl evidence verify")
struct VerifyCommandTests {
    let fixture = EvidenceFixture()

    /// The folder holding the built executables (`swift test` runs from inside .build/<triple>/debug).
    static let binDirectory: URL = {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("bollardctl").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    /// Writes the files into a fresh folder, runs bollardctl there, and returns its status and output.
    func run(_ arguments: [String], files: [String: Data]) throws -> (status: Int32, output: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, data) in files { try data.write(to: folder.appendingPathComponent(name)) }
        let process = Process()
        process.executableURL = Self.binDirectory.appendingPathComponent("bollardctl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    var keyFiles: [String: Data] {
        [
            "central.pub": Data("signing-public-key = \"\(fixture.centralKey.publicKeyBase64)\"\n".utf8),
            "gate.pub": Data("\(fixture.gateKey.publicKeyBase64)\n".utf8),
        ]
    }

    @Test("a good bundle with both keys given: every check printed, VERIFIED, exit 0")
    func goodBundle() throws {
        let files = keyFiles.merging(["bundle.zip": try fixture.bundle()]) { $1 }
        let result = try run(["evidence", "verify", "bundle.zip", "--central-key", "central.pub", "--gate-key", "gate.pub"], files: files)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ok    manifest.sig verifies with the central key given"))
        #expect(result.output.contains("event hash (the sanctions export's evidence_sha256): \(EventSeal.hash(of: fixture.violation, origin: fixture.origin))"))
        #expect(result.output.hasSuffix("VERIFIED\n"))
    }

    @Test("without --central-key it says the countersignature was checked against the bundle's own key only")
    func withoutCentralKey() throws {
        let result = try run(["evidence", "verify", "bundle.zip"], files: ["bundle.zip": try fixture.bundle()])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("note  manifest.sig verifies with the central key inside the bundle only"))
        #expect(result.output.contains("VERIFIED (countersignature checked against the key inside the bundle only)"))
    }

    @Test("a changed image byte: FAIL naming the image, NOT VERIFIED, exit 1")
    func tamperedBundle() throws {
        var zip = try fixture.bundle()
        zip[zip.range(of: fixture.crop)!.lowerBound + 100] ^= 0x80
        let files = keyFiles.merging(["bundle.zip": zip]) { $1 }
        let result = try run(["evidence", "verify", "bundle.zip", "--central-key", "central.pub", "--gate-key", "gate.pub"], files: files)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("FAIL  images/crop.jpg was changed"))
        #expect(result.output.contains("NOT VERIFIED: 2 failures"))
    }

    @Test("a wrong central key exits 1; an unreadable bundle or key file exits non-zero with the reason")
    func wrongKeyAndMissingFiles() throws {
        let other = SigningKey()
        var files = keyFiles.merging(["bundle.zip": try fixture.bundle()]) { $1 }
        files["other.pub"] = Data(other.publicKeyBase64.utf8)
        let wrong = try run(["evidence", "verify", "bundle.zip", "--central-key", "other.pub"], files: files)
        #expect(wrong.status == 1)
        #expect(wrong.output.contains("FAIL  manifest.sig does not verify with the central key given"))
        let missing = try run(["evidence", "verify", "nothing.zip"], files: [:])
        #expect(missing.status != 0 && missing.output.contains("cannot read nothing.zip"))
        let noKey = try run(["evidence", "verify", "bundle.zip", "--gate-key", "absent.pub"], files: files)
        #expect(noKey.status != 0 && noKey.output.contains("absent.pub"))
    }
}
