/// Who a token (or a signed-in person) acts as. The control centre's one
/// role→permission table is `AccessRole.permissions`: every check asks it.
public enum AccessRole: String, Codable, Sendable, CaseIterable {
    case operator_ = "operator"
    case supervisor
    case police
    case integration
    case citizenApp = "citizen-app"

    /// What each role may do; anything not listed answers 403 and changes nothing.
    public var permissions: Set<Permission> {
        switch self {
        case .operator_: [.viewGates, .viewCases, .viewImages, .review, .decideApplications]
        case .supervisor:
            [.viewGates, .viewCases, .viewImages, .review, .resolveEscalated, .readAudit, .decideApplications, .manageRegisters, .viewWebhooks]
        case .police: [.viewCases, .viewImages, .downloadEvidence]
        case .integration: [.viewGates, .exportSanctions, .manageRegisters, .viewWebhooks]
        case .citizenApp: [.actForHolder]
        }
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }
}

/// One thing a role may be allowed to do.
public enum Permission: String, Codable, Sendable, CaseIterable {
    /// Gate states, health, the day's counts.
    case viewGates
    /// Violation and review lists and details (plates included).
    case viewCases
    /// An event's frame and crop (audited).
    case viewImages
    /// Confirm, dismiss or escalate an open case.
    case review
    /// Act on a case an operator passed to a supervisor.
    case resolveEscalated
    /// The audit log.
    case readAudit
    /// A violation's evidence bundle (audited; police only).
    case downloadEvidence
    /// The daily batch for the sanctions office.
    case exportSanctions
    /// The citizens' app: a holder's permits, vehicles, guests, deliveries and applications.
    case actForHolder
    /// Approve or refuse applications for temporary permits.
    case decideApplications
    /// Holders, municipal register files (import with a dry run, export).
    case manageRegisters
    /// Webhook receivers and their delivery state (failures included).
    case viewWebhooks
}
