import WireProtocol
import ZMQ

/// Why the gate cannot connect to central, read from libzmq's socket monitor
/// events (a value, fed events; no socket: STYLE P8).
///
/// libzmq tells apart what a plain "no answer" hides:
/// - a connect that is retried with no TCP connection between: nothing listens there;
/// - a TCP connection whose CURVE handshake fails without a ZAP verdict: central
///   could not read our HELLO, which is what a wrong `central.pub` does;
/// - `HANDSHAKE_FAILED_AUTH` with ZAP status 400: central's ZAP handler refused
///   this gate's key (not registered, or revoked; central logs which).
/// Revocation is told apart by what the gate itself heard: central's
/// `error revoked` on a live connection, or a refusal of a key central once welcomed.
public struct ConnectionDiagnosis: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case nothingListening
        case handshakeRefused
        /// ZAP refused the key; the status code (400 from Bollard's central).
        case notAdmitted(status: UInt32)
        case revoked
    }

    /// The current explanation; nil while connected or before anything is known.
    public private(set) var verdict: Verdict?
    /// A TCP connection came up since the last retry.
    private var connectedSinceRetry = false
    private var handshook = false

    public init() {}

    /// Takes one monitor event. `revokedBefore`: central said this key was revoked, or
    /// admitted it before and refuses it now.
    public mutating func note(_ event: ZMQMonitorEvent, admittedBefore: Bool, revokedBefore: Bool) {
        switch event.kind {
        case .connected:
            connectedSinceRetry = true
            handshook = false
        case .connectRetried:
            if !connectedSinceRetry { verdict = .nothingListening }
            connectedSinceRetry = false
        case .handshakeSucceeded:
            handshook = true
            verdict = nil
        case .handshakeFailedAuth:
            verdict = revokedBefore || admittedBefore ? .revoked : .notAdmitted(status: event.value)
        case .handshakeFailedNoDetail, .handshakeFailedProtocol:
            verdict = .handshakeRefused
        case .disconnected:
            // Lost during the handshake (before any verdict): central closed on our HELLO.
            if !handshook, connectedSinceRetry, verdict == nil { verdict = .handshakeRefused }
        default:
            break
        }
    }

    /// Central said, on a live connection, that this gate's key is revoked.
    public mutating func noteRevoked() { verdict = .revoked }

    /// The verdict as a finding for `bollardctl status`, `sync` and `selftest`.
    public static func finding(
        _ verdict: Verdict, endpoint: String, centralKeyFile: String, gateID: String, keyFile: String
    ) -> DiagnosticsFinding {
        let publicFile = keyFile.hasSuffix(".key") ? String(keyFile.dropLast(4)) + ".pub" : keyFile + ".pub"
        switch verdict {
        case .nothingListening:
            return DiagnosticsFinding(
                .warning, "nothing is listening at \(endpoint): central is down, the address or port is wrong, or a firewall rejects it",
                action: "check that bollard-central runs there (systemctl status bollard-central), central_endpoint, and the path: nc -vz HOST PORT")
        case .handshakeRefused:
            return DiagnosticsFinding(
                .critical, "central at \(endpoint) refuses the handshake: this gate's \(centralKeyFile) is not central's public key",
                action: "copy central.pub from central's data folder (/var/lib/bollard-central/central.pub) to \(centralKeyFile) and restart the gate")
        case .notAdmitted(let status):
            return DiagnosticsFinding(
                .critical, "central refuses this gate's key (ZAP \(status)): it is not registered at central",
                action: "at central: bollard-central gates register --id \(gateID) --key \(publicFile) (copy the file there), then wait a few seconds")
        case .revoked:
            return DiagnosticsFinding(
                .critical, "central refuses this gate's key, which it welcomed before: it was revoked (or removed) at central",
                action: "if this unit should be in service, register its key again at central: bollard-central gates register --id \(gateID) --key \(publicFile); otherwise take it out of service")
        }
    }
}
