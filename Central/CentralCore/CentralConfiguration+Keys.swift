import BollardSupport
import Foundation

extension CentralConfiguration {
    /// Every key of central's configuration, documented once; the example
    /// file, `check-config`, the environment and SIGHUP all go by this table.
    public static let reader = ConfigurationReader<CentralConfiguration>(
        program: "bollard-central", keys: keyTable, defaults: CentralConfiguration(), environmentPrefix: "BOLLARD_CENTRAL_")

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static let keyTable: [ConfigurationKey<CentralConfiguration>] = [
        .path(
            "data_dir", \.dataDirectory,
            doc: "Central's data folder: central.sqlite (the store), the CURVE key pair central.key/central.pub, the evidence-signing key "
                + "and the evidence files.",
            example: "/var/lib/bollard-central"),
        .custom(
            "store", \.store, allowed: "empty, sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE",
            doc: "Central's store. Empty: SQLite at data_dir/central.sqlite. postgres://…: PostgreSQL, which several central "
                + "instances may share (docs/operations.md); ?host=/run/postgresql reaches it by its Unix socket.",
            example: "postgres://bollard@127.0.0.1:5432/bollard",
            parse: { text -> String?? in
                if text.isEmpty { return .some(nil) }
                guard text.utf8.count <= 4096, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return nil }
                if text.hasPrefix("sqlite:") && text.count > "sqlite:".count { return .some(text) }
                if (text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")), URLComponents(string: text)?.host != nil { return .some(text) }
                throw ConfigurationKey<CentralConfiguration>.Rejected("not sqlite:PATH or a postgres:// URL with a host")
            },
            render: { $0 ?? "" }),
        .integer(
            "store_pool_size", \.storePoolSize, in: 1...200,
            doc: "Connections this instance keeps open to PostgreSQL (each instance counts against the server's max_connections)."),
        .endpoint(
            "gate_endpoint", \.gateEndpoint, bind: true,
            doc: "Where gates connect (ZeroMQ with CURVE); tcp://0.0.0.0:7700 listens on every address. Port * picks a free one."),
        .optionalListenAddress(
            "http", \.httpAddress, doc: "Serve the control centre (JSON API, dashboard, /metrics) on ADDRESS:PORT. Empty: not served.",
            example: "127.0.0.1:8080"),
        .custom(
            "log_level", \.logLevel, allowed: "one of " + logLevels.joined(separator: ", "),
            doc: "Least severe log entries written (to the journal under systemd).", reloadable: true,
            parse: { logLevels.contains($0) ? $0 : nil }, render: { $0 }),
    ]

    /// systemd/central.conf.example: `bollard-central config example` prints it, a test keeps the file equal to it.
    public static var example: String {
        reader.example(introduction: [
            "bollard-central configuration: 'key = value' lines; '#' starts a comment.",
            "Installed as /etc/bollard-central/central.conf; check it with",
            "'bollard-central check-config --config /etc/bollard-central/central.conf'.",
        ])
    }
}
