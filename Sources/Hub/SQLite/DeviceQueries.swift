import Foundation
import GRDB

extension SQLiteHubStore {
    public func deviceRep(_ id: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT rep FROM device WHERE id = ?", arguments: [id]) }
    }
}
