/// Checks the endpoints the configuration names before ZeroMQ sees them:
/// libzmq takes `tcp://host` without a port at `zmq_connect` and only fails
/// later, which a gate on a pole would report as "central unreachable".
public enum Endpoint {
    /// Why `text` is not a usable ZeroMQ endpoint, or nil when it is.
    /// - Parameter bind: a listening endpoint, where `*` may stand for any address or a free port.
    public static func problem(_ text: String, bind: Bool) -> String? {
        if text.hasPrefix("ipc://") {
            let path = text.dropFirst(6)
            return path.isEmpty || path.utf8.count > 107 ? "ipc:// needs a path of at most 107 bytes" : nil
        }
        guard text.hasPrefix("tcp://") else { return "only tcp:// and ipc:// endpoints are supported" }
        let rest = text.dropFirst(6)
        guard let colon = rest.lastIndex(of: ":") else { return "no port: write tcp://HOST:PORT" }
        let host = rest[..<colon]
        let port = rest[rest.index(after: colon)...]
        if port.isEmpty { return "no port after ':'" }
        if port == "*" {
            if !bind { return "a connecting endpoint needs a port number, not *" }
        } else if Int(port).map({ (1...65535).contains($0) }) != true {
            return "port '\(port.prefix(12))' is not a number in 1...65535"
        }
        if host.isEmpty { return "no host before ':'" }
        if host == "*" { return bind ? nil : "a connecting endpoint needs a host, not *" }
        if host.hasPrefix("[") { return host.hasSuffix("]") && host.count > 2 ? nil : "an IPv6 address goes in brackets: [::1]" }
        let allowed = host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
        return allowed ? nil : "host '\(host.prefix(40))' is not a name or address"
    }

    /// `ADDRESS:PORT` (IPv6 in brackets) split into its parts, or nil.
    public static func listenAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:".contains($0)) }) else { return nil }
        return (host, port)
    }
}
