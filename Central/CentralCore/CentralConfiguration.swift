/// Everything central needs to run, each default declared once here.
public struct CentralConfiguration: Sendable, Equatable {
    /// Holds central.sqlite and central's key pair.
    public var dataDirectory = "data/central"
    /// Where gates connect (CURVE). Port `*` picks a free one.
    public var gateEndpoint = "tcp://127.0.0.1:7700"
    public var logLevel = "info"

    public init() {}

    public var databasePath: String { dataDirectory + "/central.sqlite" }
    public var keyBase: String { dataDirectory + "/central" }
    public var secretKeyFile: String { keyBase + ".key" }
    public var publicKeyFile: String { keyBase + ".pub" }
}
