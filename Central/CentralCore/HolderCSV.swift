import Domain
import Foundation
import GRDB

/// The council's register of holders as CSV (`id,kind,zones,guest_quota,delivery_quota`),
/// zones separated by ';'. Read whole or refused whole: every bad line is named, as for permits.
public enum HolderCSV {
    public static let header = "id,kind,zones,guest_quota,delivery_quota"

    /// Every holder of the file, or a `PermitCSV.ParseError` naming every bad line.
    public static func parse(_ text: String) throws(PermitCSV.ParseError) -> [Holder] {
        var holders: [Holder] = []
        var problems: [PermitCSV.Problem] = []
        var firstLine: [String: Int] = [:]
        for (number, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || (number == 0 && line.hasPrefix("id,")) { continue }
            do {
                let holder = try row(line)
                if let earlier = firstLine[holder.id] {
                    problems.append(PermitCSV.Problem(line: number + 1, field: "id", reason: "holder id already given on line \(earlier)"))
                } else {
                    firstLine[holder.id] = number + 1
                    holders.append(holder)
                }
            } catch {
                problems.append(PermitCSV.Problem(line: number + 1, field: error.field.isEmpty ? nil : error.field, reason: error.reason))
            }
        }
        guard problems.isEmpty else { throw PermitCSV.ParseError(problems: problems) }
        guard !holders.isEmpty else {
            throw PermitCSV.ParseError(problems: [PermitCSV.Problem(line: 1, field: nil, reason: "no holder rows found (expected \(header))")])
        }
        return holders
    }

    static func row(_ line: String) throws(InputProblem) -> Holder {
        let fields = try PermitCSV.splitFields(line)
        guard fields.count == 5 else { throw InputProblem(field: "", reason: "expected 5 fields (\(header)), found \(fields.count)") }
        guard let kind = Holder.Kind(rawValue: fields[1]) else {
            throw InputProblem(field: "kind", reason: "one of \(Holder.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func quota(_ text: String, _ field: String) throws(InputProblem) -> Int {
            if text.isEmpty { return 0 }
            guard let value = Int(text) else { throw InputProblem(field: field, reason: "a whole number 0-10000") }
            return value
        }
        let holder = Holder(
            id: fields[0], kind: kind, zones: fields[2].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) },
            guestQuota: try quota(fields[3], "guest_quota"), deliveryQuota: try quota(fields[4], "delivery_quota"))
        if let problem = holder.problem() { throw problem }
        return holder
    }

    /// The file `parse` reads back to the same holders.
    public static func export(_ holders: [Holder]) -> String {
        ([header] + holders.map { holder in
            [holder.id, holder.kind.rawValue, holder.zones.joined(separator: ";"), String(holder.guestQuota), String(holder.deliveryQuota)]
                .map(PermitCSV.quotedIfNeeded).joined(separator: ",")
        }).joined(separator: "\n") + "\n"
    }
}

/// What importing a holders file changes, or would change (a dry run).
public struct HolderChanges: Sendable, Equatable {
    public var added: [String] = []
    public var changed: [String] = []
    public var unchanged = 0
    public var summary: String { "\(added.count) added, \(changed.count) changed, \(unchanged) unchanged" }
}

extension CentralStore {
    /// Adds or updates every holder of a file in one transaction (or, with `dryRun`, only says what
    /// would change). Holders missing from the file are kept: their permits may still run.
    public func importHolders(_ holders: [Holder], dryRun: Bool) throws -> HolderChanges {
        for holder in holders { if let problem = holder.problem() { throw HolderError.invalid(problem) } }
        let work = { (db: any StoreConnection) throws -> HolderChanges in
            var changes = HolderChanges()
            for holder in holders {
                let held = try Self.holder(holder.id, db)
                switch held {
                case nil: changes.added.append(holder.id)
                case holder: changes.unchanged += 1
                default: changes.changed.append(holder.id)
                }
                if !dryRun, held != holder { try Self.upsert(holder, db) }
            }
            return changes
        }
        return dryRun ? try database.read(work) : try database.write(work)
    }
}
