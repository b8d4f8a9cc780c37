import FieldPayCore
import Foundation

/// What a manager may do. `admin`: everything, every region, the audit log and the managers; `manager`: read
/// and act (allocation, follow-ups, disputes, handovers, messages) within their regions; `viewer`: read only,
/// within their regions. A manager or viewer with no regions sees every region.
public enum ManagerRole: String, Sendable, Codable, CaseIterable {
    case admin, manager, viewer

    public var mayAct: Bool { self != .viewer }
}

/// A manager as the hub knows them (never their secrets).
public struct ManagerAccount: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: ManagerRole
    public var regions: [String]
    public var revoked: Bool
    /// When their API token stops working (ms since 1970), or nil for never.
    public var tokenExpiresAt: Int64?
    public var hasPassword: Bool
    public var hasTOTP: Bool

    /// A manager or viewer held to some regions (an admin never is).
    public var isRegionLimited: Bool { role != .admin && !regions.isEmpty }

    /// Whether this manager's regions hold `region` (a customer's); no regions: all of them.
    public func covers(region: String?) -> Bool {
        role == .admin || regions.isEmpty || region.map(regions.contains) == true
    }
}

/// How a sign-in by name and password went.
public enum SignInOutcome: Sendable, Equatable {
    case signedIn(cookie: String, manager: String)
    /// Name and password were right; the account has TOTP and the code was missing or wrong.
    case needsCode
    case refused
}

/// One line of the audit log: who did what to which thing, from where, and what came of it. Append-only.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var atMillis: Int64
    /// `mgr_…` (with their name), `dev_…`, or `cli` (the hub's own command line).
    public var actor: String
    public var action: String
    public var target: String?
    public var detail: String?
    /// The source address, when over the network.
    public var source: String?
    /// The HTTP status, or `ok` / `refused`.
    public var outcome: String

    public init(
        id: Int64 = 0, atMillis: Int64 = Date().millisecondsSince1970, actor: String, action: String, target: String? = nil, detail: String? = nil,
        source: String? = nil, outcome: String
    ) {
        self.id = id
        self.atMillis = atMillis
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
        self.source = source
        self.outcome = outcome
    }
}
