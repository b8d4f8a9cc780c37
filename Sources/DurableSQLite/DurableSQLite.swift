import Foundation
import GRDB

/// How FieldPay opens an SQLite database, on the device and at the hub alike: one `DatabasePool` (WAL) per
/// process, `synchronous = FULL` (NORMAL can lose the last commits on power loss, and an acknowledged
/// payment must survive it), statement journals and temporary sorts in memory (in a temporary file a big
/// import made two small writes per row; set before any transaction, as SQLite reads it when one begins),
/// and a 5 s wait for a lock another process holds.
public enum DurableSQLite {
    public static func configuration(foreignKeys: Bool = false) -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = foreignKeys
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        return configuration
    }

    /// Opens (creating it and its folder, mode 0700, if needed) the database at `path`. A folder that cannot be made is
    /// reported by SQLite's own open error, which names the file.
    public static func open(path: String, foreignKeys: Bool = false) throws -> DatabasePool {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            // A new data folder is its owner's alone (the database holds customers and payments).
            try? FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        return try DatabasePool(path: path, configuration: configuration(foreignKeys: foreignKeys))
    }
}
