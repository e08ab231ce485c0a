extension CentralConfiguration {
    /// Central's Ed25519 key (beside its CURVE key): it countersigns every evidence
    /// bundle's manifest. Its public half is what police and courts are given
    /// (`bollard-central keys show-signing`); created on first use.
    public var signingKeyFile: String { keyBase + ".signing.key" }
}
