import ArgumentParser
import BollardSupport
import Domain
import Foundation
import WireProtocol

// The technician's commands beyond status (docs/diagnostics.md): each asks
// the gate one question over its socket and prints the answer in plain words,
// or as JSON with --json. A check that fails exits 1.

/// Prints a value as indented JSON with sorted keys.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct CameraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera", abstract: "The camera: state, format, rate, last frame; or its latest frame as JPEG.",
        subcommands: [Show.self, Snapshot.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The camera's state (the default).")
        @OptionGroup var target: SocketOption
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let reply = try target.ask(succeeding: .camera)
            if json {
                try printJSON(reply.camera)
                return
            }
            guard let camera = reply.camera else {
                print("no camera configured (camera_device is not set)")
                return
            }
            for line in BollardCtlCommand.Status.describe(camera) { print(line) }
            if !camera.streaming { throw ExitCode(1) }
        }
    }

    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the camera's latest frame as a JPEG file.")
        @OptionGroup var target: SocketOption
        @Argument(help: "Where to write the JPEG, e.g. frame.jpg.") var file: String

        func run() throws {
            let reply = try target.ask(succeeding: .snapshot)
            guard let snapshot = reply.snapshot, let jpeg = Data(base64Encoded: snapshot.jpegBase64) else {
                throw CtlError.unexpectedAnswer("no image in the answer")
            }
            do { try jpeg.write(to: URL(fileURLWithPath: file)) } catch {
                throw CtlError.refused("cannot write \(file): \(error.localizedDescription)")
            }
            print(String(format: "wrote %@: %dx%d grey JPEG, %d bytes, frame %.1f s old", file, snapshot.width, snapshot.height, jpeg.count, snapshot.ageSeconds))
        }
    }
}

struct ReadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reads", abstract: "Recent reads and what the gate decided; --follow keeps printing new ones. Plates are masked (12**XYZ).")
    @OptionGroup var target: SocketOption
    @Flag(help: "Keep printing reads as they come, until Ctrl-C.") var follow = false
    @Flag(help: "Show whole plates (only if the gate's configuration sets diagnostics_show_plates = true).") var showPlates = false
    @Option(help: "Stop after printing this many reads.") var limit: Int?
    @Flag(help: "Print one JSON object per read.") var json = false

    func run() throws {
        var cursor: Int64 = 0
        var printed = 0
        var warned = false
        while true {
            let reply = try target.ask(succeeding: .reads(after: cursor, showPlates: showPlates))
            if showPlates, reply.platesMasked == true, !warned {
                warned = true
                FileHandle.standardError.write(Data("plates masked: this gate's configuration does not set diagnostics_show_plates = true\n".utf8))
            }
            for read in reply.reads ?? [] {
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(read), as: UTF8.self))
                } else {
                    print(Words.read(read))
                }
                printed += 1
                if let limit, printed >= limit { return }
            }
            cursor = reply.next ?? cursor
            guard follow else { return }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }
}

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "The link to central: connection, last acknowledgement, permit sequence, lag, clock skew.")
    @OptionGroup var target: SocketOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard let sync = try target.ask(succeeding: .sync).sync else { throw CtlError.unexpectedAnswer("no sync report") }
        if json {
            try printJSON(sync)
            return
        }
        for line in Words.sync(sync) { print(line) }
        if !sync.connected { throw ExitCode(1) }
    }
}

struct BufferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buffer", abstract: "The event buffer: depth, oldest unsent, by kind, drops.")
    @OptionGroup var target: SocketOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard let buffer = try target.ask(succeeding: .buffer).buffer else { throw CtlError.unexpectedAnswer("no buffer report") }
        if json {
            try printJSON(buffer)
            return
        }
        for line in Words.buffer(buffer) { print(line) }
    }
}

struct PermitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permits", abstract: "The gate's permits.", subcommands: [Lookup.self])

    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the gate would decide for PLATE now, and why: which permit, which window, which rule.")
        @OptionGroup var target: SocketOption
        @Argument(help: "The plate, e.g. 1234BCD.") var plate: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard let lookup = try target.ask(succeeding: .permitLookup(plate: plate)).lookup else { throw CtlError.unexpectedAnswer("no lookup") }
            if json {
                try printJSON(lookup)
                return
            }
            for line in Words.lookup(lookup) { print(line) }
        }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "The gate's running configuration.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the configuration the gate runs with and check what it points at (files, keys, endpoint).")
        @OptionGroup var target: SocketOption
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard let config = try target.ask(succeeding: .configCheck).config else { throw CtlError.unexpectedAnswer("no configuration") }
            if json {
                try printJSON(config)
                return
            }
            let width = config.values.map(\.key.count).max() ?? 0
            for setting in config.values { print(setting.key.padding(toLength: width, withPad: " ", startingAt: 0) + " = " + setting.value) }
            for check in config.checks { for line in Words.check(check) { print(line) } }
            if config.checks.contains(where: { !$0.ok }) { throw ExitCode(1) }
        }
    }
}

struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest", abstract: "Check camera, disk, clock, keys, and that central is reachable and accepts this gate's key.")
    @OptionGroup var target: SocketOption
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let checks = try target.ask(succeeding: .selftest).checks ?? []
        if json {
            try printJSON(checks)
        } else {
            for check in checks { for line in Words.check(check) { print(line) } }
            print(checks.allSatisfy(\.ok) ? "selftest passed" : "selftest FAILED: \(checks.filter { !$0.ok }.map(\.name).joined(separator: ", "))")
        }
        if !checks.allSatisfy(\.ok) { throw ExitCode(1) }
    }
}

struct LogLevelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-level", abstract: "Set the gate's log level until it restarts (debug shows plate text: use briefly).")
    @OptionGroup var target: SocketOption
    @Argument(help: "trace, debug, info, notice, warning, error or critical.") var level: String

    func run() throws {
        let reply = try target.ask(succeeding: .logLevel(level))
        print("log level \(reply.logLevel ?? level) until the gate restarts")
    }
}

/// The plain words `bollardctl` prints (docs/operations.md, "Reading bollardctl", explains each line).
enum Words {
    static func finding(_ finding: DiagnosticsFinding) -> [String] {
        let label = finding.severity.rawValue.uppercased().padding(toLength: 10, withPad: " ", startingAt: 0)
        return [label + finding.problem] + (finding.action.isEmpty ? [] : ["          → " + finding.action])
    }

    static func check(_ check: DiagnosticsCheck) -> [String] {
        [(check.ok ? "ok    " : "FAIL  ") + check.name + ": " + check.detail] + (check.action.map { ["      → " + $0] } ?? [])
    }

    static func time(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func read(_ read: DiagnosticsRead) -> String {
        let why = [read.permitID.map { "permit \($0)" }, read.reason].compactMap { $0 }.joined(separator: ", ")
        return "\(time(read.atMilliseconds))  \((read.plate ?? "(unreadable)").padding(toLength: 10, withPad: " ", startingAt: 0)) "
            + String(format: "%.2f  ", read.confidence) + read.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
            + (why.isEmpty ? "" : " " + why) + "  [\(read.source.rawValue)" + (read.seq.map { ", event \($0)" } ?? ", NOT STORED") + "]"
    }

    /// "endpoint 2 of 2 (tcp://a:7700, tcp://b:7700); 1 failover since start", for gates with several centrals.
    static func failover(endpoints: [String]?, inUse: String, failovers: Int?) -> String? {
        guard let endpoints, endpoints.count > 1 else { return nil }
        let place = endpoints.firstIndex(of: inUse).map { "endpoint \($0 + 1) of \(endpoints.count)" } ?? "\(endpoints.count) endpoints"
        let moves = failovers ?? 0
        return "\(place) (\(endpoints.joined(separator: ", "))); \(moves) failover\(moves == 1 ? "" : "s") since start"
    }

    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.1f s ago", $0) } ?? "never" }

    static func sync(_ sync: DiagnosticsSync) -> [String] {
        var lines = ["central \(sync.endpoint): " + (sync.connected ? "connected" : "NOT CONNECTED") + ", last answer \(seconds(sync.secondsSinceCentral))"]
        if let line = failover(endpoints: sync.endpoints, inUse: sync.endpoint, failovers: sync.failovers) { lines.append(line) }
        if let diagnosis = sync.diagnosis { lines += finding(diagnosis) }
        lines.append("last acknowledgement \(seconds(sync.secondsSinceAck))")
        let behind = sync.centralHeadSeq.map { $0 > sync.permitSeq ? "\($0 - sync.permitSeq) behind central's \($0)" : "in step with central" } ?? "central's not heard yet"
        lines.append("permit sequence \(sync.permitSeq) (\(behind))")
        lines.append(String(format: "lag: %d events unsent, oldest %.0f s", sync.unsentEvents, sync.oldestUnsentSeconds))
        if let offset = sync.clockOffsetMilliseconds {
            let direction = offset < 0 ? "ahead of" : "behind"
            let verdict = abs(offset) <= sync.maxClockSkewMilliseconds ? "ok" : "TOO FAR: violations go to review"
            lines.append(String(
                format: "clock %.3f s %@ central's (allowed %.1f s): %@", Double(abs(offset)) / 1000, direction,
                Double(sync.maxClockSkewMilliseconds) / 1000, verdict))
        } else {
            lines.append("clock skew not measured yet")
        }
        if let error = sync.lastError { lines.append("last error: \(error)") }
        return lines
    }

    static func buffer(_ buffer: DiagnosticsBuffer) -> [String] {
        let kinds = buffer.byKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let dropped = buffer.dropped
        return [
            String(format: "buffer %d/%d events unsent, oldest %.0f s", buffer.depth, buffer.capacity, buffer.oldestSeconds),
            "by kind: " + (kinds.isEmpty ? "none" : kinds),
            "dropped since the database was made: \(dropped.authorised) authorised, \(dropped.exit) exits, \(dropped.violation) violations, \(dropped.review) reviews",
            "evidence images waiting: \(buffer.pendingImages)"
                + (buffer.evidenceBytes.map { held in
                    ", \(held >> 20) MiB held" + (buffer.evidenceQuotaBytes.map { " of a \($0 >> 20) MiB quota" } ?? "")
                } ?? "")
                + (buffer.evidenceImagesDropped.map { ", \($0) dropped by the storage bounds" } ?? ""),
            "database \(buffer.path)",
        ]
    }

    static func lookup(_ lookup: DiagnosticsLookup) -> [String] {
        var lines = ["\(lookup.plate): \(lookup.decision.rawValue.uppercased())", "why: \(lookup.rule)"]
        if lookup.permits.isEmpty { lines.append("no permit on this plate or its look-alikes") }
        for permit in lookup.permits {
            lines.append(
                "permit \(permit.id)\(permit.lookalike ? " (look-alike plate \(permit.plate))" : "") \(permit.profile), \(permit.status): "
                    + "\(permit.validity.replacingOccurrences(of: "_", with: " ")) now")
            lines.append(
                "  zones \(permit.zones.joined(separator: ",")); windows \(permit.windows.isEmpty ? "any time" : permit.windows.joined(separator: "; ")); "
                    + "from \(permit.validFrom)" + (permit.validUntil.map { " until \($0)" } ?? ", no end"))
        }
        return lines
    }
}
