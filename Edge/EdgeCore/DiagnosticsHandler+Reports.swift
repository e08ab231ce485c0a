#if canImport(Glibc)
import Glibc
#endif
import BollardSupport
import Domain
import Foundation
import PlateRecognition
import WireProtocol

// The technician's commands beyond status and inject (docs/diagnostics.md):
// each builds its report from what the gate holds in memory or in its
// buffer, on the socket's thread, in well under a second.

extension DiagnosticsHandler {
    // MARK: Camera

    func snapshotReply() -> DiagnosticsReply {
        guard let frame = controller.latestFrame.current else {
            return .failure(
                camera == nil && configuration.framesDirectory == nil
                    ? "this gate has no camera (camera_device is not set)"
                    : "no frame yet: the camera has delivered none since the gate started; bollardctl camera shows its state")
        }
        do {
            let jpeg = try JPEGEncoder.encode(frame.image)
            var reply = DiagnosticsReply(ok: true)
            reply.snapshot = DiagnosticsSnapshot(
                width: frame.image.width, height: frame.image.height, ageSeconds: max(0, Date().timeIntervalSince(frame.at)),
                jpegBase64: Data(jpeg).base64EncodedString())
            return reply
        } catch {
            return .failure("could not encode the latest frame as JPEG: \(error)")
        }
    }

    // MARK: Reads

    /// Reads after `after`; whole plates only when asked for and the configuration allows it.
    func readsReply(after: Int64, showPlates: Bool) -> DiagnosticsReply {
        let (reads, next) = controller.recent.after(after)
        let whole = showPlates && configuration.diagnosticsShowPlates
        var reply = DiagnosticsReply(ok: true)
        reply.reads = whole ? reads : reads.map { read in
            var masked = read
            masked.plate = read.plate.map(DiagnosticsRead.mask)
            return masked
        }
        reply.next = next
        reply.platesMasked = !whole
        return reply
    }

    // MARK: Sync

    func syncReport() -> DiagnosticsSync {
        let link = sync.link
        let health = controller.health()
        var report = DiagnosticsSync(
            endpoint: link.endpoint, connected: sync.isConnected, secondsSinceCentral: link.secondsSinceCentral,
            secondsSinceAck: link.secondsSinceAck, permitSeq: health.permitSeq, centralHeadSeq: link.centralHeadSeq,
            unsentEvents: health.bufferDepth, oldestUnsentSeconds: health.oldestUnsentSeconds,
            clockOffsetMilliseconds: controller.clock.offsetMilliseconds, maxClockSkewMilliseconds: controller.clock.maxSkewMilliseconds,
            lastError: link.lastError, diagnosis: sync.isConnected ? nil : connectionFinding(link))
        report.endpoints = sync.centrals.map(\.endpoint)
        report.failovers = link.failovers
        return report
    }

    /// `list[index]`, or the last element when the index is past it (the lists are never empty).
    static func element(_ list: [String], _ index: Int) -> String { list.indices.contains(index) ? list[index] : list.last ?? "" }

    /// The central key files to check: one per distinct file, named by the key that set them.
    var centralKeyChecks: [DiagnosticsCheck] {
        let key = configuration.centralPublicKeyFiles.isEmpty ? "central_public_key_file" : "central_public_key_files"
        var seen: Set<String> = []
        return configuration.resolvedCentralPublicKeyFiles.filter { seen.insert($0).inserted }.map { Self.keyCheck(key, $0, secret: false) }
    }

    // MARK: Buffer

    func bufferReply() -> DiagnosticsReply {
        do {
            let depth = try controller.buffer.depth()
            let composition = try controller.buffer.composition()
            var reply = DiagnosticsReply(ok: true)
            reply.buffer = DiagnosticsBuffer(
                depth: depth.count, capacity: controller.buffer.capacity,
                oldestSeconds: depth.oldestCreated.map { max(0, Date().timeIntervalSince($0)) } ?? 0, byKind: composition.byKind,
                dropped: controller.dropped, pendingImages: composition.pendingImages, path: configuration.bufferPath)
            let evidence = try controller.buffer.evidenceStorage()
            reply.buffer?.evidenceBytes = evidence.bytes
            reply.buffer?.evidenceQuotaBytes = configuration.storageBounds.evidenceQuotaBytes
            reply.buffer?.evidenceImagesDropped = evidence.dropped
            return reply
        } catch {
            return .failure("cannot read the event buffer at \(configuration.bufferPath): \(error)")
        }
    }

    // MARK: Permit lookup

    /// What `decide` says for the plate now, at this gate, and every permit that bears on it.
    func lookupReply(_ text: String) -> DiagnosticsReply {
        let plate: PlateText
        do { plate = try PlateText(validating: text) } catch { return .failure(error.description) }
        let state = controller.permits.snapshot
        let now = Date()
        let decision = controller.permits.decide(PlateRead(text: plate.normalized, confidence: 1, at: now), policy: controller.policy)
        func candidate(_ permit: Permit, lookalike: Bool) -> DiagnosticsLookup.Candidate {
            DiagnosticsLookup.Candidate(
                id: permit.id, plate: permit.plate.normalized, profile: permit.profile.rawValue, status: permit.status.rawValue,
                validity: permit.validity(at: now, zone: state.gate.zone, holidays: state.holidays).rawValue,
                zones: permit.zones, windows: permit.windows.map(Self.describe), validFrom: Self.iso(permit.validFrom),
                validUntil: permit.validUntil.map(Self.iso), lookalike: lookalike)
        }
        let permits = state.index.permits(for: plate).map { candidate($0, lookalike: false) }
            + state.index.confusablePermits(for: plate).map { candidate($0, lookalike: true) }
        let zone = state.gate.zone
        let (permitID, rule): (String?, String) =
            switch decision {
            case .exitRecorded: (nil, "this is an exit gate: every passage is recorded as an exit")
            case .authorised(let id): (id, "permit \(id) is valid now in zone \(zone): an exact plate with a valid permit is authorised")
            case .needsReview(.confusionMatch(let ids)):
                (nil, "no valid permit for this exact plate, but look-alike plates hold valid permits (\(ids.joined(separator: ", "))): goes to review")
            case .needsReview(let why): (nil, "goes to review: \(why.code)")
            case .notAuthorised(nil, _): (nil, "no permit for this plate: a violation")
            case .notAuthorised(let id?, let validity):
                (id, "permit \(id) found but \(validity?.rawValue.replacingOccurrences(of: "_", with: " ") ?? "not valid") now in zone \(zone): a violation")
            }
        var reply = DiagnosticsReply(ok: true)
        reply.lookup = DiagnosticsLookup(plate: plate.normalized, decision: decision.kind, permitID: permitID, rule: rule, permits: permits)
        return reply
    }

    /// `mon,tue 07:00-11:00` (`+ holidays` when it applies on holidays too).
    static func describe(_ window: TimeWindow) -> String {
        let days = Weekday.allCases.filter { window.days.contains($0) }.map(\.code).joined(separator: ",")
        func time(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }
        return "\(days) \(time(window.start))-\(time(window.end))" + (window.holidays ? " + holidays" : "")
    }

    static func iso(_ date: Date) -> String {
        date == .distantPast ? "always" : ISO8601DateFormatter().string(from: date)
    }

    // MARK: Configuration

    func configReport() -> DiagnosticsConfig {
        let values = configuration.settings.map { DiagnosticsConfig.Setting(key: $0.key, value: $0.value) }
        var checks: [DiagnosticsCheck] = []
        checks.append(Self.directoryCheck("data_dir", configuration.dataDirectory))
        checks.append(Self.keyCheck("key_file", configuration.resolvedKeyFile, secret: true))
        checks += centralKeyChecks
        checks.append(Self.keyCheck("signing_key_file", configuration.resolvedSigningKeyFile, secret: true))
        let endpointKey = configuration.centralEndpoints.isEmpty ? "central_endpoint" : "central_endpoints"
        for endpoint in configuration.resolvedCentralEndpoints { checks.append(Self.endpointCheck(endpoint, key: endpointKey)) }
        for (key, path) in [
            ("replay_file", configuration.replayFile), ("frames_dir", configuration.framesDirectory), ("camera_device", configuration.cameraDevice),
            ("recognition_model", configuration.recognitionModel),
        ] {
            guard let path else { continue }
            let exists = FileManager.default.fileExists(atPath: path)
            checks.append(DiagnosticsCheck(
                key, ok: exists, exists ? "\(path) exists" : "\(path) does not exist", action: exists ? nil : "fix \(key) or put the file there"))
        }
        if let group = configuration.diagnosticsGroup {
            let exists = getgrnam(group) != nil || gid_t(group) != nil
            checks.append(DiagnosticsCheck(
                "diagnostics_group", ok: exists, exists ? "group \(group) exists" : "group \(group) does not exist",
                action: exists ? nil : "groupadd \(group), or set diagnostics_group to an existing group"))
        }
        return DiagnosticsConfig(values: values, checks: checks)
    }

    static func directoryCheck(_ key: String, _ path: String) -> DiagnosticsCheck {
        let writable = access(path, W_OK) == 0
        return DiagnosticsCheck(
            key, ok: writable, writable ? "\(path) is writable" : "\(path) is not writable by this process: \(String(cString: strerror(errno)))",
            action: writable ? nil : "chown the folder to the gate's user (bollard-edge), or fix data_dir")
    }

    /// A key file exists, parses, and (for a secret) is readable by its owner only.
    static func keyCheck(_ key: String, _ path: String, secret: Bool) -> DiagnosticsCheck {
        guard FileManager.default.fileExists(atPath: path) else {
            return DiagnosticsCheck(
                key, ok: false, "\(path) is missing",
                action: key == "central_public_key_file" ? "copy central.pub from central's data folder to \(path)" : "restore the key, or run bollardctl keygen")
        }
        var info = stat()
        if secret, stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            return DiagnosticsCheck(
                key, ok: false, String(format: "%@ may be read by others (mode %o)", path, info.st_mode & 0o777), action: "chmod 600 \(path)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else {
            return DiagnosticsCheck(key, ok: false, "\(path) cannot be read", action: "check its owner and mode")
        }
        return DiagnosticsCheck(key, ok: true, "\(path) present" + (secret ? ", private" : ""))
    }

    /// `tcp://HOST:PORT` with a port in 1…65535.
    static func endpointCheck(_ endpoint: String, key: String = "central_endpoint") -> DiagnosticsCheck {
        let parts = endpoint.hasPrefix("tcp://") ? endpoint.dropFirst(6).split(separator: ":", omittingEmptySubsequences: false) : []
        let ok = parts.count >= 2 && !parts.dropLast().joined(separator: ":").isEmpty && (Int(parts.last ?? "").map { (1...65535).contains($0) } ?? false)
        return DiagnosticsCheck(
            key, ok: ok, ok ? "\(endpoint) is a TCP endpoint" : "'\(endpoint)' is not tcp://HOST:PORT",
            action: ok ? nil : "set \(key) = tcp://central-host:7700")
    }

    // MARK: Selftest

    /// Camera, disk, clock, keys and central, each checked now.
    func selftest() -> [DiagnosticsCheck] {
        var checks: [DiagnosticsCheck] = []
        if let camera {
            let state = camera.snapshot
            let problems = CameraFrameSource.problems(state, stallSeconds: configuration.cameraStallSeconds)
            checks.append(DiagnosticsCheck(
                "camera", ok: problems.isEmpty,
                problems.isEmpty ? CameraFrameSource.summary(state) : problems.joined(separator: "; "),
                action: problems.isEmpty ? nil : "check the camera's cable and power; bollardctl camera snapshot FILE.jpg shows what it sees"))
        } else {
            checks.append(DiagnosticsCheck("camera", ok: true, "no camera configured (camera_device not set)"))
        }
        let free = DiskSpace.freeBytes(atPath: configuration.dataDirectory)
        let directory = Self.directoryCheck("disk", configuration.dataDirectory)
        let enough = free < 0 || free >= 100 << 20
        checks.append(DiagnosticsCheck(
            "disk", ok: directory.ok && enough,
            directory.ok ? "\(free >> 20) MiB free on \(configuration.dataDirectory)" + (enough ? "" : " (less than 100 MiB)") : directory.detail,
            action: directory.ok ? (enough ? nil : "free space: df -h \(configuration.dataDirectory)") : directory.action))
        if let offset = controller.clock.offsetMilliseconds {
            let within = abs(offset) <= controller.clock.maxSkewMilliseconds
            checks.append(DiagnosticsCheck(
                "clock", ok: within, String(format: "%.3f s from central's (allowed %.1f s)", Double(offset) / 1000, Double(controller.clock.maxSkewMilliseconds) / 1000),
                action: within ? nil : "fix the time: timedatectl status; chronyc tracking"))
        } else {
            checks.append(DiagnosticsCheck(
                "clock", ok: false, "not measured: central has not answered yet", action: "connect the gate to central (see the central check)"))
        }
        let keys = [Self.keyCheck("key_file", configuration.resolvedKeyFile, secret: true)] + centralKeyChecks + [
            Self.keyCheck("signing_key_file", configuration.resolvedSigningKeyFile, secret: true)
        ]
        let badKeys = keys.filter { !$0.ok }
        checks.append(DiagnosticsCheck(
            "keys", ok: badKeys.isEmpty, badKeys.isEmpty ? "gate key, central's public key and signing key present" : badKeys.map(\.detail).joined(separator: "; "),
            action: badKeys.first?.action))
        checks.append(centralCheck())
        return checks
    }

    /// Whether central is reachable and accepts this gate's key (it welcomed the gate and answers now).
    func centralCheck() -> DiagnosticsCheck {
        let link = sync.link
        if sync.isConnected, link.welcomed {
            return DiagnosticsCheck(
                "central", ok: true,
                "\(link.endpoint) accepts this gate's key" + (link.secondsSinceCentral.map { String(format: ", answered %.1f s ago", $0) } ?? ""))
        }
        if let refusal = link.signingKeyRefusal {
            return DiagnosticsCheck(
                "central", ok: false, "central refuses this gate's signing key: \(refusal)",
                action: "register the gate's signing key at central (bollard-central gates register … --signing-key KEY)")
        }
        if let finding = connectionFinding(link) {
            return DiagnosticsCheck("central", ok: false, finding.problem, action: finding.action)
        }
        let since = link.secondsSinceCentral.map { String(format: "last answered %.0f s ago", $0) } ?? "never answered since start"
        return DiagnosticsCheck(
            "central", ok: false, "\(link.endpoint) \(since)" + (link.lastError.map { "; \($0)" } ?? ""),
            action: "check the network and that bollard-central runs there; make sure central registered this gate's key (bollard-central gates list)")
    }
}
