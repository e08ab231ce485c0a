// `bollard-bench capture`: the gate's camera path (issue 8 "Benchmark") on one thread,
// as fast as it goes: .y4m capture → motion gate → recogniser → tracker → decision.
import Capture
import Domain
import Foundation
import PlateRecognition

#if canImport(Glibc)
import Glibc
#endif

/// Generates the test streams and measures the camera path; prints figures, asserts nothing.
enum CaptureBench {
    /// Time spent in each stage, CPU (this thread) and wall.
    struct Stage {
        var cpu = 0.0
        var wall = 0.0
    }

    typealias Car = StreetScene.Car

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/PlateRecognition")

    static func run(arguments: [String]) throws {
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
            return Int(arguments[index + 1]) ?? fallback
        }
        let frames = option("--frames", 600)
        let cars = try loadCars()
        // `--keep DIR`: leave the generated streams in DIR (to play them through a real gate).
        let kept = arguments.firstIndex(of: "--keep").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        let root = kept ?? FileManager.default.temporaryDirectory.appendingPathComponent("bollard-bench-capture-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if kept == nil { try? FileManager.default.removeItem(atPath: root) } }
        // The demo's permit set: 1,000 fleet members (bollard-central demo), some of them the fixture plates.
        let now = Date()
        var permits = (0..<1_000).map { DemoFleet.permit($0, zone: "casco-viejo", now: now) }
        for (i, car) in cars.enumerated() where i.isMultiple(of: 2) {
            if let plate = PlateText(car.text) {
                permits.append(Permit(id: "BENCH-\(i)", plate: plate, profile: .resident, zones: ["casco-viejo"], validFrom: now.addingTimeInterval(-86_400)))
            }
        }
        let index = PermitIndex(permits)
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("capture: \(frames) frames per size, plate in 1 frame of 5, .y4m 4:2:0, one thread; \(permits.count) permits; load average \(load)")
        for (width, height) in [(640, 480), (1280, 720)] {
            let path = root + "/street-\(width)x\(height).y4m"
            let expected = try writeStream(path: path, width: width, height: height, cars: cars)
            try measure(path: path, frames: frames, expected: expected, permits: index)
            if kept == nil { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// The fixture scenes listed in labels.csv, each cut to its plate with a margin.
    static func loadCars() throws -> [Car] {
        try StreetScene.cars(fixtures: fixtures)
    }

    /// One loop of the street: each car seen in 3 frames (one frame in five, moving),
    /// empty street with sensor noise in the others.
    static func writeStream(path: String, width: Int, height: Int, cars: [Car]) throws -> [String] {
        try StreetScene(width: width, height: height).write(path: path, cars: cars)
    }

    /// Plays `path` (rewinding at its end) for `frames` frames through the camera path and prints the figures.
    static func measure(path: String, frames: Int, expected: [String], permits: PermitIndex) throws {
        let reader = try Y4MReader(path: path)
        var gate = MotionGate(configuration: MotionGate.Configuration())
        let recognizer = PlateRecognizer()
        let tracker = PlateTracker()
        let site = Gate(id: "gate-bench", zone: "casco-viejo", direction: .entry)
        var read = Stage(), motion = Stage(), recognise = Stage(), track = Stage(), decision = Stage()
        var analysed = 0, vehicles = 0, correct = 0
        var kinds: [DecisionKind: Int] = [:]
        let loop = Set(expected)
        var seen = Set<String>()
        resetPeakResident()
        func timed<T>(_ stage: inout Stage, _ body: () throws -> T) rethrows -> T {
            let cpu = threadCPUSeconds(), wall = ContinuousClock.now
            defer {
                stage.cpu += threadCPUSeconds() - cpu
                stage.wall += (ContinuousClock.now - wall).seconds
            }
            return try body()
        }
        func decideAll(_ reads: [VehicleRead]) {
            for vehicle in reads {
                vehicles += 1
                if loop.contains(vehicle.text) { correct += 1 }
                seen.insert(vehicle.text)
                let kind = timed(&decision) { decide(PlateRead(text: vehicle.text, confidence: vehicle.confidence, at: Date()), at: site, permits: permits, holidays: .bilbaoDefault).kind }
                kinds[kind, default: 0] += 1
            }
        }
        let cpuStart = threadCPUSeconds(), wallStart = ContinuousClock.now
        for n in 0..<frames {
            let image: GrayImage = try timed(&read) {
                if let image = try reader.next() { return image }
                try reader.rewind()
                guard let image = try reader.next() else { throw BenchError(description: "\(path) holds no frame") }
                return image
            }
            guard timed(&motion, { gate.shouldAnalyse(image) }) else { continue }
            analysed += 1
            let candidates = timed(&recognise) { recognizer.recognize(image) }
            decideAll(timed(&track) { tracker.update(frame: n, reads: candidates) })
        }
        decideAll(timed(&track) { tracker.flush() })
        let cpuTotal = threadCPUSeconds() - cpuStart, wallTotal = (ContinuousClock.now - wallStart).seconds
        let header = reader.header
        func ms(_ s: Double) -> String { String(format: "%.2f", s * 1000 / Double(frames)) }
        let outcomes = kinds.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", ")
        print(String(format: "  %dx%d: %.1f frames/s sustained (CPU-bound: %.1f frames/s per CPU second); %d frames, %d analysed, %d skipped by the motion gate",
                     header.width, header.height, Double(frames) / wallTotal, Double(frames) / cpuTotal, frames, analysed, frames - analysed))
        print("    CPU ms per frame: capture \(ms(read.cpu)), motion \(ms(motion.cpu)), recognise \(ms(recognise.cpu)), track \(ms(track.cpu)), decide \(ms(decision.cpu)); total \(ms(cpuTotal))")
        print("    wall ms per frame: capture \(ms(read.wall)), motion \(ms(motion.wall)), recognise \(ms(recognise.wall)), track \(ms(track.wall)), decide \(ms(decision.wall)); total \(ms(wallTotal))")
        print("    vehicles \(vehicles) (\(correct) read as a plate of the stream; \(outcomes)); peak RSS \(peakResidentBytes() >> 20) MiB (VmHWM)")
        let missed = loop.subtracting(seen).sorted(), strange = seen.subtracting(loop).count
        if !missed.isEmpty || strange > 0 { print("    plates of the stream never read: \(missed.count) of \(loop.count); other texts read: \(strange)") }
    }

    /// CPU time of the calling thread, in seconds.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// VmHWM of this process, from /proc/self/status.
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }

    /// Resets VmHWM to the current RSS (writing 5 to /proc/self/clear_refs), so each size's peak is its own.
    static func resetPeakResident() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
