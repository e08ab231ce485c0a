import Foundation

extension Permit {
    /// Every problem with this permit's values against `InputLimits`, empty when it may be saved and sent.
    /// The command line and CSV import refuse a permit with any; a gate refuses a message carrying one.
    public var problems: [InputProblem] {
        var found: [InputProblem] = []
        if let problem = InputLimits.permitIDProblem(id) { found.append(problem) }
        if !InputLimits.zonesPerPermit.contains(zones.count) {
            found.append(InputProblem(field: "zones", reason: "1 to \(InputLimits.zonesPerPermit.upperBound) zones, not \(zones.count)"))
        }
        for (index, zone) in zones.enumerated() {
            if let problem = InputLimits.zoneIDProblem(zone, field: zones.count == 1 ? "zones" : "zones[\(index + 1)]") { found.append(problem) }
        }
        let from = Permit.milliseconds(validFrom)
        if let problem = InputLimits.instantProblem(from, field: "valid_from") { found.append(problem) }
        if let validUntil {
            let until = Permit.milliseconds(validUntil)
            if let problem = InputLimits.instantProblem(until, field: "valid_until") { found.append(problem) }
            if until <= from { found.append(InputProblem(field: "valid_until", reason: "must be after valid_from")) }
        }
        if !InputLimits.windowsPerPermit.contains(windows.count) {
            found.append(InputProblem(field: "windows", reason: "at most \(InputLimits.windowsPerPermit.upperBound) windows, not \(windows.count)"))
        }
        if windows.contains(where: { !$0.isValidRange }) {
            found.append(InputProblem(field: "windows", reason: "a window must start before it ends, within 00:00-24:00"))
        }
        if let maxStaySeconds, !InputLimits.maxStaySeconds.contains(maxStaySeconds) {
            found.append(InputProblem(field: "max_stay_s", reason: "must be within \(InputLimits.maxStaySeconds) seconds"))
        }
        if let problem = InputLimits.holderProblem(holder) { found.append(problem) }
        if !(0...InputLimits.largestInteger).contains(seq) {
            found.append(InputProblem(field: "seq", reason: "must be within 0...\(InputLimits.largestInteger)"))
        }
        return found
    }

    /// Throws the first problem, if any.
    public func validate() throws(InputProblem) {
        if let first = problems.first { throw first }
    }

    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        // Dates far outside any range still give a number that fails the range check rather than trap.
        guard value.isFinite else { return Int64.min }
        return Int64(max(min(value, 9e18), -9e18))
    }
}
