import Foundation
import Testing
import Domain

@Suite struct PermitCodingTests {
    static let golden = """
    {"id":"p-42","plate":"1234 bcd","profile":"hotel_guest","zones":["casco-viejo","*"],
     "valid_from_ms":1772449200000,"valid_until_ms":1772708400123,
     "windows":[{"days":["sat","mon"],"from":"07:00","to":"24:00","holidays":true}],
     "max_stay_s":3600,"status":"suspended","holder":"h-9","seq":123456789012}
    """

    @Test func decodesGoldenJSONFieldByField() throws {
        let permit = try JSONDecoder().decode(Permit.self, from: Data(Self.golden.utf8))
        #expect(permit.id == "p-42")
        #expect(permit.plate.normalized == "1234BCD")
        #expect(permit.profile == .hotelGuest)
        #expect(permit.zones == ["casco-viejo", "*"])
        #expect(permit.validFrom == Fixtures.at("2026-03-02T12:00:00+01:00"))
        #expect(permit.validUntil.map { ($0.timeIntervalSince1970 * 1000).rounded() } == 1_772_708_400_123)
        #expect(permit.windows == [TimeWindow(days: [.monday, .saturday], start: 420, end: 1440, holidays: true)])
        #expect(permit.maxStaySeconds == 3600)
        #expect(permit.status == .suspended)
        #expect(permit.holder == "h-9")
        #expect(permit.seq == 123_456_789_012)
    }

    @Test func encodesExactlyTheDocumentedKeys() throws {
        let permit = try JSONDecoder().decode(Permit.self, from: Data(Self.golden.utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(permit)) as? [String: Any])
        #expect(Set(object.keys) == [
            "id", "plate", "profile", "zones", "valid_from_ms", "valid_until_ms", "windows", "max_stay_s", "status",
            "holder", "seq",
        ])
        #expect(object["valid_from_ms"] as? Int == 1_772_449_200_000)
        #expect(object["valid_until_ms"] as? Int == 1_772_708_400_123)
        #expect(object["plate"] as? String == "1234BCD")
        #expect(object["profile"] as? String == "hotel_guest")
    }

    @Test func roundTripsExactly() throws {
        let permit = try JSONDecoder().decode(Permit.self, from: Data(Self.golden.utf8))
        let again = try JSONDecoder().decode(Permit.self, from: JSONEncoder().encode(permit))
        #expect(again == permit)
    }

    @Test func openEndedPermitOmitsOptionalKeysAndAcceptsNull() throws {
        let permit = Fixtures.permit("p1")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(permit)) as? [String: Any])
        #expect(object["valid_until_ms"] == nil)
        #expect(object["max_stay_s"] == nil)
        let withNulls = """
        {"id":"p1","plate":"1234BCD","profile":"resident","zones":["*"],"valid_from_ms":0,"valid_until_ms":null,
         "windows":[],"max_stay_s":null,"status":"active","holder":"","seq":0}
        """
        let decoded = try JSONDecoder().decode(Permit.self, from: Data(withNulls.utf8))
        #expect(decoded.validUntil == nil)
        #expect(decoded.maxStaySeconds == nil)
        #expect(decoded.validFrom == Date(timeIntervalSince1970: 0))
    }

    @Test(arguments: [
        ("plate", #""Ñ""#), ("profile", #""visitor""#), ("status", #""pending""#),
        ("windows", #"[{"days":["mon"],"from":"11:00","to":"07:00"}]"#),
    ])
    func rejectsInvalidFields(key: String, value: String) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(Self.golden.utf8)) as? [String: Any])
        object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Permit.self, from: data) }
    }
}
