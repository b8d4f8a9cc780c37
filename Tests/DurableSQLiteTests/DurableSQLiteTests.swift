import DurableSQLite
import Foundation
import GRDB
import Testing

@Suite("How FieldPay opens SQLite")
struct DurableSQLiteTests {
    func temporaryPath() -> (folder: String, path: String) {
        let folder = NSTemporaryDirectory() + "fieldpay-sqlite-\(UUID().uuidString)"
        return (folder, folder + "/nested/db.sqlite")
    }

    @Test("a new database is WAL with synchronous = FULL and temp_store = MEMORY, in a folder made for it")
    func durable() throws {
        let (folder, path) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pool = try DurableSQLite.open(path: path)
        let (journal, synchronous, temp, foreignKeys) = try pool.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(db, sql: "PRAGMA temp_store"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys")
            )
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        #expect(temp == 2)  // MEMORY
        #expect(foreignKeys == 0)
        #expect(FileManager.default.fileExists(atPath: path))
        let folderMode = (try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)[.posixPermissions]) as? Int
        #expect(folderMode == 0o700)  // a new data folder is its owner's alone
    }

    @Test("foreign keys are enforced when asked for")
    func foreignKeys() throws {
        let (folder, path) = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pool = try DurableSQLite.open(path: path, foreignKeys: true)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent(id))")
        }
        #expect(throws: DatabaseError.self) {
            try pool.write { db in try db.execute(sql: "INSERT INTO child VALUES (42)") }
        }
    }

    @Test("a path that cannot be a database is an error naming SQLite's reason, not a crash")
    func unusablePath() throws {
        let (folder, _) = temporaryPath()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "not a folder".write(toFile: folder + "/file", atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try DurableSQLite.open(path: folder + "/file/db.sqlite") }
    }
}
