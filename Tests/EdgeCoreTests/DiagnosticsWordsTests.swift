import EdgeCore
import Testing
import WireProtocol

@Suite struct DiagnosticsWordsTests {
    @Test("a masked plate keeps its first two and last three characters (first and last when short)")
    func masking() {
        #expect(DiagnosticsRead.mask("1234XYZ") == "12**XYZ")
        #expect(DiagnosticsRead.mask("BI4688HR") == "BI***8HR")
        #expect(DiagnosticsRead.mask("AB12") == "A**2")
        #expect(DiagnosticsRead.mask("AB") == "**")
    }

    @Test("config check shows a value for every key a configuration file may set, in the documented order")
    func settingsCoverEveryKey() throws {
        var configuration = EdgeConfiguration()
        try configuration.apply(fileText: "allow_injection = true\ndiagnostics_group = users\n", name: "t")
        let settings = configuration.settings
        #expect(settings.map(\.key) == EdgeConfiguration.keys)
        #expect(!settings.contains { $0.value == "(not shown)" })
        #expect(settings.first { $0.key == "allow_injection" }?.value == "true")
        #expect(EdgeConfiguration().allowInjection == false, "injection is off unless configured")
        #expect(throws: EdgeConfiguration.Invalid.self) { try configuration.set("allow_injection", "yes") }
    }

    @Test("findings sort worst first, and a notice never outranks a warning")
    func severityOrder() {
        let findings = [DiagnosticsFinding(.notice, "n", action: ""), .init(.critical, "c", action: ""), .init(.warning, "w", action: "")]
        #expect(findings.sorted { $0.severity < $1.severity }.map(\.problem) == ["c", "w", "n"])
    }
}
