import Foundation

/// Reads a daemon's configuration from its `key = value` file, then the
/// environment (`PREFIX_KEY`), then command-line flags, each over the one
/// before (the order of hummingbird's template), through one table of keys.
///
/// Why not apple/swift-configuration (1.4.0, in the mirror): its providers
/// look up the keys a program asks for, so a misspelt key in a file is never
/// reported; its `.env` parser skips malformed lines and lets a duplicate
/// key win silently; and no provider keeps the line a value came from. Our
/// technicians need exactly those errors (file, line, key, value, what is
/// allowed), so the file format and the checks are ours, in this one type;
/// the layering it would give us is twenty lines here.
public struct ConfigurationReader<Root: Sendable>: Sendable {
    /// `bollard-edge`, for messages and the example's header.
    public let program: String
    /// Every key, in the order the example file documents them.
    public let keys: [ConfigurationKey<Root>]
    /// The configuration with every default; `render(defaults)` is each key's default.
    public let defaults: Root
    /// `BOLLARD_EDGE_`: `BOLLARD_EDGE_GATE_ID` sets `gate_id`.
    public let environmentPrefix: String
    /// Rules between keys (a list whose length must match another's), checked once every key
    /// read well; given the configuration and the names of the keys that were set.
    public let consistency: (@Sendable (Root, Set<String>) -> [Conflict])?

    /// Keys whose values do not fit together: reported at `key` (where it was set), with why.
    public struct Conflict: Sendable, Equatable {
        public var key: String
        public var detail: String
        public init(key: String, detail: String) {
            self.key = key
            self.detail = detail
        }
    }

    public init(
        program: String, keys: [ConfigurationKey<Root>], defaults: Root, environmentPrefix: String,
        consistency: (@Sendable (Root, Set<String>) -> [Conflict])? = nil
    ) {
        self.program = program
        self.keys = keys
        self.defaults = defaults
        self.environmentPrefix = environmentPrefix
        self.consistency = consistency
    }

    /// A value from the command line, with the flag that gave it.
    public struct Override: Sendable, Equatable {
        public var key: String
        public var value: String
        /// `--gate-id`, or `--set gate_id`.
        public var origin: String

        public init(key: String, value: String, origin: String) {
            self.key = key
            self.value = value
            self.origin = origin
        }
    }

    /// Where a configuration comes from; `load` reads them again on SIGHUP.
    public struct Sources: Sendable {
        public var file: String?
        public var environment: [String: String]
        public var overrides: [Override]

        public init(file: String?, environment: [String: String], overrides: [Override] = []) {
            self.file = file
            self.environment = environment
            self.overrides = overrides
        }
    }

    /// A configuration and, per key that was set, where it was set.
    public struct Loaded: Sendable {
        public var value: Root
        public var origins: [String: String]
    }

    public func key(named name: String) -> ConfigurationKey<Root>? { keys.first { $0.name == name } }

    /// Reads the file (if any), the environment and the flags.
    /// - Throws: `ConfigurationError` listing every problem found.
    public func load(_ sources: Sources, checkRequired: Bool = true) throws -> Loaded {
        var text: String?
        if let file = sources.file {
            guard let data = FileManager.default.contents(atPath: file) else {
                let reason = FileManager.default.fileExists(atPath: file) ? "permission denied or not a file" : "no such file"
                throw ConfigurationError(problems: [.init(kind: .unreadableFile, origin: file, detail: reason)])
            }
            guard let decoded = String(validating: data, as: UTF8.self) else {
                throw ConfigurationError(problems: [.init(kind: .unreadableFile, origin: file, detail: "not UTF-8 text")])
            }
            text = decoded
        }
        return try read(
            fileText: text, fileName: sources.file ?? "configuration", environment: sources.environment, overrides: sources.overrides,
            checkRequired: checkRequired)
    }

    /// Applies the file's text, the environment and the overrides over `base` (the defaults unless given).
    /// - Throws: `ConfigurationError` listing every problem found.
    public func read(
        fileText: String?, fileName: String, environment: [String: String] = [:], overrides: [Override] = [],
        checkRequired: Bool = true, base: Root? = nil
    ) throws -> Loaded {
        var problems: [ConfigurationError.Problem] = []
        var fileLines: [String: Int] = [:]
        var root = base ?? defaults
        var origins: [String: String] = [:]
        // Applied as found: the file, then the environment, then the flags, so problems come in that order too.
        func assign(_ key: ConfigurationKey<Root>, _ value: String, _ origin: String) {
            do {
                try key.parse(&root, value)
                origins[key.name] = origin
            } catch let rejected as ConfigurationKey<Root>.Rejected {
                problems.append(.init(kind: .badValue, origin: origin, key: key.name, value: value, allowed: key.allowed, detail: rejected.reason))
            } catch {
                problems.append(.init(kind: .badValue, origin: origin, key: key.name, value: value, allowed: key.allowed, detail: "\(error)"))
            }
        }

        let fileLinesText: [String] = fileText.map { Self.lines($0) } ?? []
        for (number, rawLine) in fileLinesText.enumerated() {
            let origin = "\(fileName):\(number + 1)"
            guard let parsed = Self.parseLine(rawLine) else {
                if !Self.isBlankOrComment(rawLine) {
                    problems.append(.init(kind: .malformedLine, origin: origin, value: rawLine.trimmingCharacters(in: .whitespaces)))
                }
                continue
            }
            let (name, value) = (parsed.key, parsed.value)
            guard let key = key(named: name) else {
                problems.append(.init(kind: .unknownKey, origin: origin, key: name, value: value, detail: suggestion(for: name)))
                continue
            }
            if let first = fileLines[name] {
                problems.append(.init(kind: .duplicateKey, origin: origin, key: name, value: value, detail: "already set at line \(first)"))
                continue
            }
            fileLines[name] = number + 1
            assign(key, value, origin)
        }

        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix(environmentPrefix) {
            let name = variable.dropFirst(environmentPrefix.count).lowercased()
            let origin = "environment \(variable)"
            guard let key = key(named: name) else {
                problems.append(.init(kind: .unknownKey, origin: origin, key: name, value: value, detail: suggestion(for: name)))
                continue
            }
            assign(key, value, origin)
        }

        var overridden: [String: String] = [:]
        for override in overrides {
            guard let key = key(named: override.key) else {
                problems.append(
                    .init(kind: .unknownKey, origin: override.origin, key: override.key, value: override.value, detail: suggestion(for: override.key)))
                continue
            }
            if let first = overridden[override.key] {
                problems.append(
                    .init(kind: .duplicateKey, origin: override.origin, key: override.key, value: override.value, detail: "already set by \(first)"))
                continue
            }
            overridden[override.key] = override.origin
            assign(key, override.value, override.origin)
        }
        if checkRequired {
            for key in keys where key.required && origins[key.name] == nil && !problems.contains(where: { $0.key == key.name }) {
                let variable = environmentPrefix + key.name.uppercased()
                problems.append(
                    .init(
                        kind: .missingKey, origin: fileName, key: key.name, allowed: key.allowed,
                        detail: "set '\(key.name) = …' in the file, or \(variable)"))
            }
        }
        if problems.isEmpty, let consistency {
            for conflict in consistency(root, Set(origins.keys)) {
                problems.append(
                    .init(
                        kind: .conflict, origin: origins[conflict.key] ?? fileName, key: conflict.key,
                        value: key(named: conflict.key)?.render(root), detail: conflict.detail))
            }
        }
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        return Loaded(value: root, origins: origins)
    }

    // MARK: The file format

    /// Lines split at LF, CRLF or CR (a Windows editor's file reads the same), without a leading byte-order mark.
    static func lines(_ text: String) -> [String] {
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        return body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    }

    static func isBlankOrComment(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.hasPrefix("#")
    }

    /// `key = value` with an optional `# comment`; a value in double quotes may hold '#'
    /// and outer spaces. Nil for blank lines, comments and anything else.
    static func parseLine(_ line: String) -> (key: String, value: String)? {
        if isBlankOrComment(line) { return nil }
        guard let equals = line.firstIndex(of: "=") else { return nil }
        let key = line[..<equals].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !key.contains(where: \.isWhitespace) else { return nil }
        let rest = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("\"") {
            let inner = rest.dropFirst()
            guard let close = inner.firstIndex(of: "\"") else { return nil }
            let after = inner[inner.index(after: close)...].trimmingCharacters(in: .whitespaces)
            guard after.isEmpty || after.hasPrefix("#") else { return nil }
            return (key, String(inner[..<close]))
        }
        let value = rest.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return (key, value.trimmingCharacters(in: .whitespaces))
    }

    /// The key probably meant: the closest name by edit distance, when it is close.
    func suggestion(for name: String) -> String? {
        let scored = keys.map { ($0.name, Self.distance(Array(name), Array($0.name))) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, name.count / 4) else {
            return "'\(program) config keys' lists every key"
        }
        return "did you mean '\(best)'?"
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: What the table gives beyond reading

    /// Each key's value in `root`, as the file would write it.
    public func values(of root: Root) -> [(key: String, value: String)] { keys.map { ($0.name, $0.render(root)) } }

    /// The keys whose values differ between two configurations.
    public func differences(_ a: Root, _ b: Root) -> [ConfigurationKey<Root>] { keys.filter { $0.render(a) != $0.render(b) } }

    /// `running` with the reloadable keys of `fresh`: what SIGHUP makes of a running daemon.
    public func reloading(_ running: Root, from fresh: Root) -> Root {
        var result = running
        for key in keys where key.reloadable { key.transfer(&result, fresh) }
        return result
    }

    /// The example file: every key with its doc, what it takes, its default
    /// and whether SIGHUP applies it, commented out. `bollard-edge config
    /// example` prints it; a test keeps the checked-in copy equal to it.
    public func example(introduction: [String]) -> String {
        var lines = introduction.map { "# " + $0 }
        lines.append("#")
        lines.append("# Default values are shown; uncomment to change. \(environmentPrefix)<KEY> in the")
        lines.append("# environment and command-line flags override this file. Keys marked")
        lines.append("# 'reload' take effect on SIGHUP (systemctl reload); the others at restart.")
        lines.append("# Generated by '\(program) config example'.")
        for key in keys {
            lines.append("")
            for line in Self.wrap(key.doc, width: 74) { lines.append("# " + line) }
            let current = key.render(defaults)
            var facts = ["Allowed: \(key.allowed)"]
            if key.required {
                facts.append("required, no default")
            } else {
                facts.append(current.isEmpty ? "default: empty" : "default: \(current)")
            }
            facts.append(key.reloadable ? "reload" : "restart")
            for line in Self.wrap(facts.joined(separator: "; ") + ".", width: 74) { lines.append("# " + line) }
            let shown = key.required || current.isEmpty ? (key.example ?? current) : current
            lines.append("# \(key.name) = \(shown)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every key, one per line: name, what it takes, default, reload or restart.
    public func keyTable() -> String {
        keys.map { key in
            let current = key.render(defaults)
            let shownDefault = key.required ? "(required)" : current.isEmpty ? "(empty)" : current
            return "\(key.name)\t\(key.reloadable ? "reload" : "restart")\t\(shownDefault)\t\(key.allowed)\t\(key.doc)"
        }.joined(separator: "\n")
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
