/// Everything central needs to run, each default declared once here; the
/// keys a file, `BOLLARD_CENTRAL_*` or a flag may set are in
/// CentralConfiguration+Keys.swift.
public struct CentralConfiguration: Sendable, Equatable {
    /// Holds central.sqlite and central's key pair.
    public var dataDirectory = "data/central"
    /// Where gates connect (CURVE). Port `*` picks a free one.
    public var gateEndpoint = "tcp://127.0.0.1:7700"
    /// The control centre (API, dashboard, /metrics) listens here, `ADDRESS:PORT`; nil = not served.
    public var httpAddress: String?
    public var logLevel = "notice"
    /// Where the store lives: nil = SQLite at `databasePath`; `sqlite:PATH` or `postgres://…` (issue 13).
    public var store: String?
    /// Connections each instance keeps to PostgreSQL.
    public var storePoolSize = 8

    public init() {}

    public var databasePath: String { dataDirectory + "/central.sqlite" }
    /// The store this configuration names.
    public var storeLocation: StoreLocation { store.map(StoreLocation.init) ?? .sqlite(path: databasePath) }
    public var keyBase: String { dataDirectory + "/central" }
    public var secretKeyFile: String { keyBase + ".key" }
    public var publicKeyFile: String { keyBase + ".pub" }
}
