import Crypto
import FieldPayCore
import Foundation
import GRDB
import _CryptoExtras

/// Managers: roles and regions, API tokens with expiry and rotation, dashboard passwords (scrypt) with optional
/// TOTP, and the audit log (append-only: triggers refuse any change to a written line).
extension SQLiteHubStore {
    static func migrateManagers(_ db: Database) throws {
        try db.execute(
            sql: """
                -- Managers from before roles could do everything: they stay admins.
                ALTER TABLE manager ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'manager', 'viewer'));
                ALTER TABLE manager ADD COLUMN tokenExpiresAt INTEGER;
                ALTER TABLE manager ADD COLUMN passwordHash TEXT;
                ALTER TABLE manager ADD COLUMN totpSecret TEXT;
                ALTER TABLE manager ADD COLUMN totpLastStep INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE managerRegion (
                    managerId TEXT NOT NULL REFERENCES manager(id),
                    region TEXT NOT NULL,
                    PRIMARY KEY (managerId, region)
                );
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT,
                    detail TEXT,
                    source TEXT,
                    outcome TEXT NOT NULL
                );
                CREATE INDEX audit_at ON audit(at);
                CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
    }

    static func newManagerSecret() -> String {
        (0..<2).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined().lowercased()
    }

    public func addManager(name: String, role: ManagerRole, regions: [String], expiresInDays: Int?) throws -> (id: String, token: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 100 else { throw ReportInputError("a manager's name must be 1 to 100 characters") }
        if let expiresInDays, !(1...3650).contains(expiresInDays) { throw ReportInputError("a token expires in 1 to 3650 days") }
        for region in regions where region.isEmpty || region.count > 100 { throw ReportInputError("a region is 1 to 100 characters") }
        let id = "mgr_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let secret = Self.newManagerSecret()
        try pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM manager WHERE name = ? AND revoked = 0", arguments: [trimmed]) == true {
                throw ReportInputError("a manager named \(trimmed) exists already (names sign in to the dashboard)")
            }
            try db.execute(
                sql: "INSERT INTO manager (id, name, secretHash, createdAt, role, tokenExpiresAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    String(id), trimmed, SQLiteHubStore.sha256(secret), Int64(Date().timeIntervalSince1970), role.rawValue,
                    expiresInDays.map { HubTime.nowMillis() + Int64($0) * 86_400_000 },
                ])
            for region in Set(regions) {
                try db.execute(sql: "INSERT INTO managerRegion (managerId, region) VALUES (?, ?)", arguments: [String(id), region])
            }
        }
        return (String(id), id + "." + secret)
    }

    public func managerAccounts() throws -> [ManagerAccount] {
        try pool.read { db in try SQLiteHubStore.accounts(where: "1", [], db) }
    }

    public func managerAccount(_ id: String) throws -> ManagerAccount? {
        try pool.read { db in try SQLiteHubStore.accounts(where: "manager.id = ?", [id], db).first }
    }

    static func accounts(where condition: String, _ arguments: StatementArguments, _ db: Database) throws -> [ManagerAccount] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, name, role, revoked, tokenExpiresAt, passwordHash IS NOT NULL, totpSecret IS NOT NULL,
                    (SELECT group_concat(region, char(31)) FROM managerRegion WHERE managerId = manager.id)
                FROM manager WHERE \(condition) ORDER BY createdAt, id
                """, arguments: arguments
        ).map { row in
            let regions = (row[7] as String?).map { $0.split(separator: "\u{1F}").map(String.init).sorted() } ?? []
            return ManagerAccount(
                id: row[0], name: row[1], role: ManagerRole(rawValue: row[2]) ?? .viewer, regions: regions, revoked: row[3],
                tokenExpiresAt: row[4], hasPassword: row[5], hasTOTP: row[6])
        }
    }

    /// A new API token for a manager; the old one stops working now, and their dashboard sessions end.
    public func rotateManagerToken(id: String, expiresInDays: Int?) throws -> String? {
        if let expiresInDays, !(1...3650).contains(expiresInDays) { throw ReportInputError("a token expires in 1 to 3650 days") }
        let secret = Self.newManagerSecret()
        let changed = try pool.write { db -> Bool in
            try db.execute(
                sql: "UPDATE manager SET secretHash = ?, tokenExpiresAt = ? WHERE id = ? AND revoked = 0",
                arguments: [SQLiteHubStore.sha256(secret), expiresInDays.map { HubTime.nowMillis() + Int64($0) * 86_400_000 }, id])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM managerSession WHERE managerId = ?", arguments: [id])
            return true
        }
        return changed ? id + "." + secret : nil
    }

    // MARK: Passwords and TOTP

    /// scrypt (N = 2^15, r = 8, p = 1) over the password with 16 random bytes of salt: `scrypt$15$8$1$salt$hash`.
    static func passwordHash(_ password: String, salt: Data? = nil, logN: Int = 15) throws -> String {
        let salt = salt ?? Data((0..<16).map { _ in UInt8.random(in: 0...255) })
        let key = try KDF.Scrypt.deriveKey(from: Data(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logN, blockSize: 8, parallelism: 1)
        let hash = key.withUnsafeBytes { Data($0) }
        return "scrypt$\(logN)$8$1$\(salt.base64EncodedString())$\(hash.base64EncodedString())"
    }

    static func passwordMatches(_ password: String, _ stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), (10...20).contains(logN), let salt = Data(base64Encoded: parts[4]),
            let recomputed = try? passwordHash(password, salt: salt, logN: logN)
        else { return false }
        return constantTimeEqual(Array(recomputed.utf8), Array(stored.utf8))
    }

    public func setManagerPassword(id: String, password: String) throws -> Bool {
        guard password.count >= 12, password.count <= 200 else { throw ReportInputError("a password is 12 to 200 characters") }
        let hash = try Self.passwordHash(password)
        return try pool.write { db in
            try db.execute(sql: "UPDATE manager SET passwordHash = ? WHERE id = ? AND revoked = 0", arguments: [hash, id])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "DELETE FROM managerSession WHERE managerId = ?", arguments: [id])
            return true
        }
    }

    /// Turns on TOTP (RFC 6238: HMAC-SHA1, 30 s, 6 digits) for a manager: the new secret in base32, for an
    /// authenticator app; nil for an unknown or revoked manager.
    public func enableManagerTOTP(id: String) throws -> String? {
        let secret = TOTP.base32(Data((0..<20).map { _ in UInt8.random(in: 0...255) }))
        return try pool.write { db in
            try db.execute(sql: "UPDATE manager SET totpSecret = ?, totpLastStep = 0 WHERE id = ? AND revoked = 0", arguments: [secret, id])
            return db.changesCount == 1 ? secret : nil
        }
    }

    /// The dashboard's sign-in: name and password (and the TOTP code when the account has one; a code is used once).
    public func openSession(name: String, password: String, code: String?) throws -> SignInOutcome {
        guard
            let row = try pool.read({ db in
                try Row.fetchOne(db, sql: "SELECT id, passwordHash, totpSecret, totpLastStep FROM manager WHERE name = ? AND revoked = 0", arguments: [name])
            }), let stored = row[1] as String?
        else {
            _ = try? Self.passwordHash(password)  // the same time whether or not the name exists
            return .refused
        }
        guard Self.passwordMatches(password, stored) else { return .refused }
        let id: String = row[0]
        if let secret = row[2] as String? {
            guard let code, let step = TOTP.matchingStep(code: code, secret: secret, now: Date()), step > (row[3] as Int64) else { return .needsCode }
            try pool.write { db in try db.execute(sql: "UPDATE manager SET totpLastStep = ? WHERE id = ?", arguments: [step, id]) }
        }
        return .signedIn(cookie: try newSession(managerID: id), manager: id)
    }

    func newSession(managerID id: String) throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        let cookie = Base64URL.encode(Data(bytes))
        try pool.write { db in
            try db.execute(sql: "DELETE FROM managerSession WHERE expiresAt < ?", arguments: [HubTime.nowMillis()])
            try db.execute(
                sql: "INSERT INTO managerSession (tokenHash, managerId, expiresAt) VALUES (?, ?, ?)",
                arguments: [SQLiteHubStore.sha256(cookie), id, HubTime.nowMillis() + 12 * 3_600_000])
        }
        return cookie
    }

    // MARK: Audit

    public func record(_ entry: AuditEntry) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit (at, actor, action, target, detail, source, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    entry.atMillis, String(entry.actor.prefix(200)), String(entry.action.prefix(200)), entry.target.map { String($0.prefix(500)) },
                    entry.detail.map { String($0.prefix(2000)) }, entry.source, String(entry.outcome.prefix(40)),
                ])
        }
    }

    /// The newest lines first, at most `limit`, older than `before` (an id) when given.
    public func auditLog(limit: Int, before: Int64?) throws -> [AuditEntry] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, at, actor, action, target, detail, source, outcome FROM audit WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
                arguments: [before, before, limit]
            ).map { AuditEntry(id: $0[0], atMillis: $0[1], actor: $0[2], action: $0[3], target: $0[4], detail: $0[5], source: $0[6], outcome: $0[7]) }
        }
    }
}

/// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps make them.
public enum TOTP {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    public static func base32(_ data: Data) -> String {
        var out = ""
        var buffer = 0
        var bits = 0
        for byte in data {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    static func decode(_ text: String) -> Data? {
        var out = Data()
        var buffer = 0
        var bits = 0
        for character in text.uppercased() where character != "=" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return out
    }

    /// The code for a time step.
    public static func code(secret: String, step: Int64) -> String? {
        guard let key = decode(secret) else { return nil }
        var counter = UInt64(step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        let offset = Int(mac[19] & 0x0F)
        let value = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let digits = String(value % 1_000_000)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// The step (now, or one either side for clock drift) whose code this is, or nil.
    public static func matchingStep(code: String, secret: String, now: Date) -> Int64? {
        let current = Int64(now.timeIntervalSince1970) / 30
        for step in [current, current - 1, current + 1] {
            if let expected = Self.code(secret: secret, step: step), constantTimeEqual(Array(expected.utf8), Array(code.utf8)) { return step }
        }
        return nil
    }
}
