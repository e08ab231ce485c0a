/// Makes text that came from a peer or an operator safe to write into a log line or an error reply:
/// no line break, carriage return or other control or formatting character can forge a log line
/// or reorder what a terminal shows, and a long value cannot flood the log.
///
/// It lives in Domain rather than BollardSupport because WireProtocol, whose error messages echo
/// peer input, depends on Domain only.
public enum LogText {
    /// `text` with `\` `"` and every control, formatting or separator character escaped
    /// (`\n`, `\r`, `\t`, `\u{202E}`), cut to `limit` characters with the number left out.
    public static func escaped(_ text: some StringProtocol, limit: Int = 64) -> String {
        var result = ""
        var kept = 0
        var total = 0
        for scalar in text.unicodeScalars {
            total += 1
            guard kept < limit else { continue }
            kept += 1
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                    result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                default:
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        if total > kept { result += "…(+\(total - kept))" }
        return result
    }
}
