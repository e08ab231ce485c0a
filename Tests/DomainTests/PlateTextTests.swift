import Foundation
import Testing
import Domain

@Suite struct PlateTextTests {
    @Test(arguments: [
        ("1234 bcd", "1234BCD"),
        ("BI-1234-AB", "BI1234AB"),
        ("b.i 12", "BI12"),
        ("  7777 NXY ", "7777NXY"),
        ("12", "12"),
        ("ABCDE12345", "ABCDE12345"),
    ])
    func normalises(raw: String, expected: String) {
        #expect(PlateText(raw)?.normalized == expected)
    }

    @Test(arguments: ["", " ", "-", "A", "Ñ1", "ABCDE123456", "ÑÑÑ", "1234-BCD-1234"])
    func rejectsTooShortOrTooLong(raw: String) {
        #expect(PlateText(raw) == nil)
    }

    @Test("a character other than a letter, a digit or a separator refuses the whole text, naming the character",
        arguments: [("ÑÑ1234BC", "Ñ", 1), ("1234_BCD", "_", 5), ("12\n34", "U+000A", 3), ("AB/CD", "/", 3), ("7777 ÑXY", "Ñ", 6)])
    func refusesForbiddenCharacters(raw: String, named: String, position: Int) {
        #expect(PlateText(raw) == nil)
        #expect {
            try PlateText(validating: raw)
        } throws: { error in
            guard case .forbiddenCharacter(_, let at) = error as? PlateText.Problem else { return false }
            return at == position && "\(error)".contains(named)
        }
    }

    @Test("a text with too few or too many letters and digits is refused with its count")
    func refusesWrongLength() {
        #expect(throws: PlateText.Problem.wrongLength(11)) { try PlateText(validating: "ABCDE 123456") }
        #expect(throws: PlateText.Problem.wrongLength(1)) { try PlateText(validating: "-A-") }
    }

    @Test(arguments: [
        ("0ODQ", "0000"), ("1IL", "111"), ("Z2", "22"), ("S5", "55"), ("G6", "66"), ("B8", "88"),
        ("1234BCD", "12348C0"), ("ACEF", "ACEF"),
    ])
    func foldsConfusableCharacters(raw: String, key: String) {
        #expect(PlateText(raw)?.confusionKey == key)
    }

    @Test func confusablePlatesShareAKeyButAreNotEqual() throws {
        let a = try #require(PlateText("1234 BBC"))
        let b = try #require(PlateText("1234 B8C"))
        #expect(a.confusionKey == b.confusionKey)
        #expect(a != b)
    }

    @Test(arguments: ["1234BCD", "BI1234AB", "AB", "ABC", "1234567890"])
    func descriptionNeverContainsTheFullText(raw: String) throws {
        let plate = try #require(PlateText(raw))
        #expect(!plate.description.contains(plate.normalized))
        #expect(!"\(plate)".contains(plate.normalized))
        #expect(plate.description.hasSuffix("(\(plate.normalized.count))"))
    }

    @Test func descriptionShowsTwoCharactersAndLength() throws {
        #expect(try #require(PlateText("1234567")).description == "12…(7)")
    }

    @Test func ordersByNormalizedText() throws {
        let plates = ["ZZ99", "1234BCD", "AA00"].compactMap(PlateText.init)
        #expect(plates.sorted().map(\.normalized) == ["1234BCD", "AA00", "ZZ99"])
    }

    @Test func codesAsPlainJSONString() throws {
        let data = try JSONEncoder().encode([Fixtures.plate("1234 bcd")])
        #expect(String(decoding: data, as: UTF8.self) == #"["1234BCD"]"#)
        let decoded = try JSONDecoder().decode([PlateText].self, from: Data(#"["bi-1234-ab"]"#.utf8))
        #expect(decoded.map(\.normalized) == ["BI1234AB"])
    }

    @Test(arguments: [#"["-"]"#, #"["ÑÑ1234BC"]"#, #"["ABCDEFGHIJK"]"#, "[12]"])
    func decodingRejectsTextThatDoesNotNormalise(json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([PlateText].self, from: Data(json.utf8))
        }
    }
}
