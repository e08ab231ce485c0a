import Testing
import Domain

@Suite struct LogTextTests {
    @Test("line breaks, control and formatting characters are escaped, so a peer cannot forge a log line",
        arguments: [
            ("gate-1\n2026-11-27T00:00:00 critical forged", #"gate-1\n2026-11-27T00:00:00 critical forged"#),
            ("a\rb\tc", #"a\rb\tc"#),
            ("bell\u{07}esc\u{1B}[31m", #"bell\u{7}esc\u{1B}[31m"#),
            ("rlo\u{202E}txt", #"rlo\u{202E}txt"#),
            ("ls\u{2028}ps\u{2029}", #"ls\u{2028}ps\u{2029}"#),
            (#"quote " and \"#, #"quote \" and \\"#),
            ("plain Ñandú-07", "plain Ñandú-07"),
        ])
    func escapes(raw: String, expected: String) {
        let escaped = LogText.escaped(raw)
        #expect(escaped == expected)
        #expect(!escaped.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test("a long value is cut to the limit with the number of characters left out")
    func bounded() {
        #expect(LogText.escaped(String(repeating: "x", count: 5_000)) == String(repeating: "x", count: 64) + "…(+4936)")
        #expect(LogText.escaped("abcdef", limit: 3) == "abc…(+3)")
    }
}
