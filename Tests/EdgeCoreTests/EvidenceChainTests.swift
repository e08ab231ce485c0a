import Capture
import Crypto
import Domain
import EdgeCore
import Evidence
import Foundation
import Logging
import PlateRecognition
import Synchronization
import Testing
import WireProtocol

/// The gate seals every event it commits: signed with its key and chained
/// to the previous event of its database, across restarts and pruning.
@Suite struct EvidenceChainTests {
    let folder: String
    let key = SigningKey()

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-chain-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func open() throws -> EventBuffer {
        try EventBuffer(path: folder + "/edge.sqlite", capacity: 100, reserveBytes: 0, signingKey: key)
    }

    static func read(_ plate: String = "1234BCD") -> PlateRead { PlateRead(text: plate, confidence: 0.97, at: Date()) }

    @Test("each event carries the hash of the one before and a signature that verifies, across a restart and pruning")
    func chainSurvivesRestart() throws {
        var sent: [Event] = []
        let origin: String
        do {
            let buffer = try open()
            origin = buffer.origin
            _ = try buffer.append(read: Self.read(), decision: .notAuthorised(permitID: nil, validity: nil))
            _ = try buffer.append(read: Self.read(), decision: .authorised(permitID: "P1"))
            sent += try buffer.pending(limit: 10)
            try buffer.acknowledge(sent.map(\.seq))  // acknowledged rows are deleted
        }
        let reopened = try open()
        #expect(reopened.origin == origin)
        _ = try reopened.append(read: Self.read(), decision: .exitRecorded)
        sent += try reopened.pending(limit: 10)
        #expect(sent.map(\.seq) == [1, 2, 3])
        #expect(sent[0].previousHash == EventSeal.genesis)
        #expect(sent[1].previousHash == EventSeal.hash(of: sent[0], origin: origin))
        #expect(sent[2].previousHash == EventSeal.hash(of: sent[1], origin: origin))
        for event in sent {
            #expect(EventSeal.signatureProblem(of: event, origin: origin, publicKey: key.publicKey) == nil)
        }
        #expect(reopened.signingPublicKey == key.publicKeyBase64)
    }

    @Test("a buffer without a signing key commits events unsealed")
    func unsignedWithoutKey() throws {
        let buffer = try EventBuffer(path: folder + "/plain.sqlite", capacity: 10, reserveBytes: 0)
        let event = try buffer.append(read: Self.read(), decision: .exitRecorded)
        #expect(event.signature == nil && event.previousHash == nil)
    }

    static let gate = Gate(id: "g", zone: "z", direction: .entry)
    static let resident = Permit(
        id: "R1", plate: PlateText("1234BCD")!, profile: .resident, zones: ["z"], validFrom: Date(timeIntervalSince1970: 0), seq: 1)

    /// A frame with texture, and the plate box in it.
    static func evidence() -> ReadEvidence {
        let width = 160, height = 120
        let pixels = (0..<(width * height)).map { UInt8(truncatingIfNeeded: ($0 % width) * 3 + ($0 / width) * 5) }
        return ReadEvidence(width: width, height: height, pixels: pixels, boxX: 40, boxY: 50, boxWidth: 60, boxHeight: 16)
    }

    @Test("a violation read by the camera keeps the best frame and the plate crop as JPEG, signed by hash; an authorised passage keeps none")
    func violationKeepsImagesAuthorisedNone() throws {
        let buffer = try open()
        let store = PermitStore(index: PermitIndex([Self.resident]), seq: 1, gate: Self.gate, holidays: HolidayCalendar())
        let controller = GateController(permits: store, buffer: buffer, policy: .standard, logger: Logger(label: "test"))
        let authorised = try controller.handle(PlateRead(text: "1234BCD", confidence: 0.99, at: Date(), evidence: Self.evidence()))
        #expect(authorised.kind == .authorised)
        #expect(authorised.images == nil)
        #expect(try buffer.storedImageCount() == 0)

        let violation = try controller.handle(PlateRead(text: "9999XYZ", confidence: 0.99, at: Date(), evidence: Self.evidence()))
        #expect(violation.kind == .violation)
        let digests = try #require(violation.images)
        #expect(Set(digests.map(\.role)) == ["frame", "crop"])
        #expect(EventSeal.signatureProblem(of: violation, origin: buffer.origin, publicKey: key.publicKey) == nil)
        // The bytes wait for the event's acknowledgement, then match the signed digests.
        #expect(try buffer.pendingImages(limit: 10).isEmpty)
        try buffer.acknowledge([authorised.seq, violation.seq])
        let images = try buffer.pendingImages(limit: 10)
        #expect(images.count == 2)
        for image in images {
            let digest = try #require(digests.first { $0.role == image.role })
            #expect(EventSeal.hexDigest(image.bytes) == digest.sha256 && image.bytes.count == digest.bytes)
            #expect(Array(image.bytes.prefix(3)) == [0xFF, 0xD8, 0xFF])
        }
        let crop = try ImageDecoder.decode([UInt8](try #require(images.first { $0.role == "crop" }).bytes))
        #expect(crop.width == 60 + 2 * 15 && crop.height == 16 + 2 * 4)
        try buffer.deleteImage(origin: buffer.origin, seq: violation.seq, role: "crop", rejected: true)
        #expect(try buffer.rejectedImageCount() == 1)
        #expect(try buffer.pendingImages(limit: 10).map(\.role) == ["frame"])
    }

    @Test("a read without a frame (replay, generator) keeps no image even when it is a violation")
    func noFrameNoImage() throws {
        let buffer = try open()
        let store = PermitStore(index: PermitIndex([Self.resident]), seq: 1, gate: Self.gate, holidays: HolidayCalendar())
        let controller = GateController(permits: store, buffer: buffer, policy: .standard, logger: Logger(label: "test"))
        let violation = try controller.handle(PlateRead(text: "9999XYZ", confidence: 0.99, at: Date()))
        #expect(violation.kind == .violation && violation.images == nil)
        #expect(try buffer.storedImageCount() == 0)
    }

    /// Frames captured long ago: the read's time is the best frame's capture time, not the moment the tracker emitted it.
    struct OldFrames: FrameSource {
        let images: [GrayImage]
        let start: Date
        func frames() -> AsyncThrowingStream<GrayImage, any Error> {
            AsyncThrowingStream { continuation in
                for image in images { continuation.yield(image) }
                continuation.finish()
            }
        }
        func capturedFrames() -> AsyncThrowingStream<CapturedFrame, any Error> {
            let (images, start) = (images, start)
            return AsyncThrowingStream { continuation in
                for (index, image) in images.enumerated() {
                    continuation.yield(CapturedFrame(image: image, sequence: UInt32(index), capturedAt: start.addingTimeInterval(Double(index))))
                }
                continuation.finish()
            }
        }
    }

    @Test("a camera read is dated by the capture time of its best frame and carries that frame and the plate box")
    func readTimeIsCaptureTime() async throws {
        let scene = RecognizingReadSourceTests.fixtures + "/scene_0001.jpg"
        let image = try ImageDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: scene))))
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let reads = Mutex<[PlateRead]>([])
        try await RecognizingReadSource(frames: OldFrames(images: [image, image, image], start: start))
            .run { read in reads.withLock { $0.append(read) } }
        let read = try #require(reads.withLock { $0 }.first)
        #expect(reads.withLock { $0.count } == 1)
        #expect([0.0, 1, 2].map { start.addingTimeInterval($0) }.contains(read.at))
        let evidence = try #require(read.evidence)
        #expect(evidence.width == image.width && evidence.pixels == image.pixels)
        #expect(evidence.boxWidth > 0 && evidence.boxHeight > 0)
    }
}
