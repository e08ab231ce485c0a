/// One key of a daemon's configuration, declared once: its name, what it
/// takes, its one-line doc and whether SIGHUP may change it. The default is
/// not repeated here: it is the value the configuration struct's own
/// initialiser gives (`render(Root())`), so the example file, `check-config`
/// and the reader cannot disagree about it (cf. redis' `createIntConfig`).
public struct ConfigurationKey<Root>: Sendable {
    /// The `key` of `key = value`; the environment variable is the daemon's prefix plus this, upper-cased.
    public let name: String
    /// What is allowed, in words ("an integer in 1...240"); errors and the example file print it.
    public let allowed: String
    /// What the key does, for the example file.
    public let doc: String
    /// Whether SIGHUP applies a new value to the running daemon (otherwise it takes a restart).
    public let reloadable: Bool
    /// Whether the daemon refuses to start without it (there is no sensible default).
    public let required: Bool
    /// The value the example file shows when the default is empty or the key is required.
    public let example: String?
    let parse: @Sendable (inout Root, String) throws -> Void
    let render: @Sendable (Root) -> String
    let transfer: @Sendable (inout Root, Root) -> Void

    /// A value the key's parser refused; `reason` adds to `allowed` when there is more to say.
    public struct Rejected: Error {
        public var reason: String?
        public init(_ reason: String? = nil) { self.reason = reason }
    }

    /// A key of any type: `parse` returns nil (or throws `Rejected`) for a value that is not allowed.
    public static func custom<Value: Sendable>(
        _ name: String, _ path: any WritableKeyPath<Root, Value> & Sendable, allowed: String, doc: String,
        reloadable: Bool = false, required: Bool = false, example: String? = nil,
        parse: @escaping @Sendable (String) throws -> Value?, render: @escaping @Sendable (Value) -> String
    ) -> Self {
        Self(
            name: name, allowed: allowed, doc: doc, reloadable: reloadable, required: required, example: example,
            parse: { root, text in
                guard let value = try parse(text) else { throw Rejected() }
                root[keyPath: path] = value
            },
            render: { render($0[keyPath: path]) },
            transfer: { target, source in target[keyPath: path] = source[keyPath: path] })
    }

    public static func integer<T: FixedWidthInteger & Sendable>(
        _ name: String, _ path: any WritableKeyPath<Root, T> & Sendable, in range: ClosedRange<T>, doc: String,
        reloadable: Bool = false, example: String? = nil
    ) -> Self {
        custom(
            name, path, allowed: "an integer in \(range.lowerBound)...\(range.upperBound)", doc: doc, reloadable: reloadable, example: example,
            parse: { T($0).flatMap { range.contains($0) ? $0 : nil } }, render: { "\($0)" })
    }

    /// An integer, or `auto` (stored as nil) to let the device decide.
    public static func integerOrAuto<T: FixedWidthInteger & Sendable>(
        _ name: String, _ path: any WritableKeyPath<Root, T?> & Sendable, in range: ClosedRange<T>, doc: String, reloadable: Bool = false
    ) -> Self {
        custom(
            name, path, allowed: "auto, or an integer in \(range.lowerBound)...\(range.upperBound)", doc: doc, reloadable: reloadable,
            parse: { text -> T?? in
                if text == "auto" { return .some(nil) }
                return T(text).flatMap { range.contains($0) ? .some($0) : nil }
            },
            render: { $0.map { "\($0)" } ?? "auto" })
    }

    public static func number(
        _ name: String, _ path: any WritableKeyPath<Root, Double> & Sendable, in range: ClosedRange<Double>, doc: String, reloadable: Bool = false
    ) -> Self {
        custom(
            name, path, allowed: "a number in \(Self.format(range.lowerBound))...\(Self.format(range.upperBound))", doc: doc,
            reloadable: reloadable,
            parse: { Double($0).flatMap { $0.isFinite && range.contains($0) ? $0 : nil } }, render: Self.format)
    }

    public static func boolean(_ name: String, _ path: any WritableKeyPath<Root, Bool> & Sendable, doc: String, reloadable: Bool = false) -> Self {
        custom(name, path, allowed: "true or false", doc: doc, reloadable: reloadable, parse: { Bool($0) }, render: { "\($0)" })
    }

    /// Text of bounded length without control characters.
    public static func string(
        _ name: String, _ path: any WritableKeyPath<Root, String> & Sendable, length: ClosedRange<Int> = 1...4096, doc: String,
        reloadable: Bool = false, required: Bool = false, example: String? = nil
    ) -> Self {
        custom(
            name, path, allowed: "text of \(length.lowerBound)...\(length.upperBound) characters", doc: doc, reloadable: reloadable,
            required: required, example: example,
            parse: { text in length.contains(text.count) && !text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? text : nil },
            render: { $0 })
    }

    /// A path, or empty for none (the daemon then uses the default the doc names).
    public static func optionalPath(
        _ name: String, _ path: any WritableKeyPath<Root, String?> & Sendable, doc: String, reloadable: Bool = false, example: String? = nil
    ) -> Self {
        custom(
            name, path, allowed: "a path, or empty for the default", doc: doc, reloadable: reloadable, example: example,
            parse: { text -> String?? in
                if text.isEmpty { return .some(nil) }
                return text.utf8.count <= 4096 && !text.utf8.contains(0) ? .some(text) : nil
            },
            render: { $0 ?? "" })
    }

    public static func path(_ name: String, _ path: any WritableKeyPath<Root, String> & Sendable, doc: String, example: String? = nil) -> Self {
        custom(
            name, path, allowed: "a path", doc: doc, example: example,
            parse: { !$0.isEmpty && $0.utf8.count <= 4096 && !$0.utf8.contains(0) ? $0 : nil }, render: { $0 })
    }

    /// One of a fixed set of words.
    public static func choice<Value: RawRepresentable & Sendable>(
        _ name: String, _ path: any WritableKeyPath<Root, Value> & Sendable, _ values: [Value], doc: String, reloadable: Bool = false
    ) -> Self where Value.RawValue == String {
        let words = values.map(\.rawValue)
        return custom(
            name, path, allowed: "one of " + words.joined(separator: ", "), doc: doc, reloadable: reloadable,
            parse: { Value(rawValue: $0) }, render: { $0.rawValue })
    }

    /// A ZeroMQ endpoint: `tcp://HOST:PORT` or `ipc://PATH`; a bind endpoint may also use `*` as the host or port.
    public static func endpoint(
        _ name: String, _ path: any WritableKeyPath<Root, String> & Sendable, bind: Bool, doc: String, required: Bool = false, example: String? = nil
    ) -> Self {
        custom(
            name, path, allowed: bind ? "tcp://ADDRESS:PORT (PORT may be *) or ipc://PATH" : "tcp://HOST:PORT or ipc://PATH", doc: doc,
            required: required, example: example,
            parse: { text in
                if let problem = Endpoint.problem(text, bind: bind) { throw Rejected(problem) }
                return text
            },
            render: { $0 })
    }

    /// `HOST:PORT` for a listening socket (`[::1]:8080` for IPv6), or empty for none.
    public static func optionalListenAddress(
        _ name: String, _ path: any WritableKeyPath<Root, String?> & Sendable, doc: String, example: String? = nil
    ) -> Self {
        custom(
            name, path, allowed: "ADDRESS:PORT (PORT 0...65535, 0 = any free one), or empty for none", doc: doc, example: example,
            parse: { text -> String?? in
                if text.isEmpty { return .some(nil) }
                return Endpoint.listenAddress(text) == nil ? nil : .some(text)
            },
            render: { $0 ?? "" })
    }

    /// Shortest text that reads back as the same number (`1.0`, `0.9`, `10.0`).
    static func format(_ value: Double) -> String { "\(value)" }
}
