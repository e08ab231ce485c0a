// The running configuration as `bollardctl config check` prints it: every
// key the file may set (`EdgeConfiguration.keys`, same order) with the value
// in force, defaults resolved.

extension EdgeConfiguration {
    /// Every key with the value in force; an unset optional reads as its resolved default or `(none)`.
    public var settings: [(key: String, value: String)] {
        func text<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "(none)" }
        let values: [String: String] = [
            "gate_id": gateID, "zone": zone, "direction": direction.rawValue, "data_dir": dataDirectory, "central_endpoint": centralEndpoint,
            "central_public_key_file": resolvedCentralPublicKeyFile,
            "central_endpoints": resolvedCentralEndpoints.joined(separator: ", "), "central_public_key_files": resolvedCentralPublicKeyFiles.joined(separator: ", "), "key_file": resolvedKeyFile, "signing_key_file": resolvedSigningKeyFile,
            "buffer_capacity": "\(bufferCapacity)", "disk_reserve_mib": "\(diskReserveMiB)", "evidence_quota_mib": "\(evidenceQuotaMiB)",
            "evidence_max_age_days": "\(evidenceMaxAgeDays)", "evidence_chunk_kib": "\(evidenceChunkKiB)", "authorised_max_age_days": "\(authorisedMaxAgeDays)", "heartbeat_interval": "\(heartbeatInterval)",
            "diagnostics_socket": resolvedDiagnosticsSocket, "diagnostics_group": diagnosticsGroup ?? "(bollard-tech if it exists, else the daemon's group)",
            "allow_injection": "\(allowInjection)", "diagnostics_show_plates": "\(diagnosticsShowPlates)",
            "replay_file": text(replayFile), "frames_dir": text(framesDirectory), "frame_interval_ms": "\(frameIntervalMilliseconds)",
            "recognition_model": recognitionModel ?? "(packaged)", "recognition_reader": recognitionReader.rawValue, "camera_device": text(cameraDevice), "camera_width": "\(cameraWidth)",
            "camera_height": "\(cameraHeight)", "camera_fps": "\(cameraFramesPerSecond)", "camera_format": cameraFormat,
            "camera_exposure": cameraExposure.map { "\($0)" } ?? "auto", "camera_gain": cameraGain.map { "\($0)" } ?? "auto",
            "camera_stall_seconds": "\(cameraStallSeconds)", "camera_loop": "\(cameraLoop)", "camera_queue_frames": "\(cameraQueueFrames)",
            "camera_skip_unchanged": "\(cameraSkipUnchanged)", "generate_reads_per_minute": "\(generateReadsPerMinute)",
            "generator_seed": "\(generatorSeed)", "confident_threshold": "\(confidentThreshold)", "max_clock_skew_s": "\(maxClockSkewSeconds)",
            "log_level": logLevel,
        ]
        return Self.keys.map { ($0, values[$0] ?? "(not shown)") }
    }
}
