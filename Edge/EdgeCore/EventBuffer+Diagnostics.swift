import GRDB

// What `bollardctl buffer` shows beyond the depth: unsent events by kind, and images waiting.

extension EventBuffer {
    /// Unsent events by decision kind, and evidence images waiting for upload.
    public func composition() throws -> (byKind: [String: Int], pendingImages: Int) {
        try database.read { db in
            var byKind: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM events GROUP BY kind") {
                byKind[row["kind"]] = row["n"]
            }
            return (byKind, try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_images") ?? 0)
        }
    }
}
