import CentralCore
import CentralHTTP
import Domain
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The citizens' app, operators deciding applications and the council's registers over HTTP.
@Suite struct CitizenAPITests {
    static func body(_ json: String) -> ByteBuffer { ByteBuffer(string: json) }

    static func headers(_ fixture: ControlFixture, _ role: AccessRole, key: String? = nil) -> HTTPFields {
        var headers = fixture.headers(role, json: true)
        if let key { headers[.init("Idempotency-Key")!] = key }
        return headers
    }

    static var tomorrow: LocalDate { MadridTime.local(Date().addingTimeInterval(86_400)).date }
    static func day(_ offset: Int) -> String { MadridTime.local(Date().addingTimeInterval(Double(offset) * 86_400)).date.description }

    @Test("a holder sees only its own permits: another holder's permit, or an unknown holder, answers 404")
    func scopedToOneHolder() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/holders/H1/permits", method: .get, headers: fixture.headers(.citizenApp)) { response in
                #expect(response.status == .ok)
                let items = try response.json()["items"] as? [[String: Any]]
                #expect(items?.map { $0["id"] as? String } == ["P1"])
            }
            try await client.execute(uri: "/api/v1/holders/H1/permits/P1", method: .get, headers: fixture.headers(.citizenApp)) {
                #expect($0.status == .ok)
            }
            for uri in ["/api/v1/holders/hotel-1/permits/P1", "/api/v1/holders/nobody/permits", "/api/v1/holders/hotel-1/applications/\(fixture.applicationID)"] {
                try await client.execute(uri: uri, method: .get, headers: fixture.headers(.citizenApp)) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            // Nor can another holder change it.
            try await client.execute(
                uri: "/api/v1/holders/hotel-1/permits/P1/plate", method: .put, headers: Self.headers(fixture, .citizenApp),
                body: Self.body(#"{"plate": "5678FGH"}"#)
            ) { #expect($0.status == .notFound) }
            let value1 = try fixture.store.permit(id: "P1")?.plate.normalized
            #expect(value1 == "1234BCD")
        }
    }

    @Test("a hotel registers guests within its quota for every night: the busiest night decides, a stay on other nights still fits")
    func guestQuota() async throws {
        let fixture = try ControlFixture()
        let head = try fixture.store.headSeq()
        try await fixture.application().test(.router) { client in
            func register(_ plate: String, _ arrival: Int, _ departure: Int) async throws -> (HTTPResponse.Status, [String: Any]) {
                try await client.execute(
                    uri: "/api/v1/holders/hotel-1/guests", method: .post, headers: Self.headers(fixture, .citizenApp),
                    body: Self.body(#"{"plate": "\#(plate)", "arrival": "\#(Self.day(arrival))", "departure": "\#(Self.day(departure))"}"#)
                ) { ($0.status, try $0.json()) }
            }
            let (first, permit) = try await register("1111BBB", 1, 4)
            #expect(first == .created)
            #expect(permit["profile"] as? String == "hotel_guest" && permit["max_stay_s"] as? Int == 3_600)
            #expect((permit["seq"] as? Int).map(Int64.init) == head + 1)
            let value2 = try await register("2222CCC", 3, 5).0
            #expect(value2 == .created)
            // Night 3 holds two guests already: quota 2.
            let (full, problem) = try await register("3333DDD", 2, 4)
            #expect(full == .conflict)
            #expect((problem["detail"] as? String)?.contains("quota") == true)
            // Nights 5 and 6 hold one guest at most.
            let value3 = try await register("4444FFF", 5, 7).0
            #expect(value3 == .created)
            // A shop registers no guests.
            try await client.execute(
                uri: "/api/v1/holders/shop-1/guests", method: .post, headers: Self.headers(fixture, .citizenApp),
                body: Self.body(#"{"plate": "5555GGG", "arrival": "\#(Self.day(1))", "departure": "\#(Self.day(2))"}"#)
            ) { #expect($0.status == .conflict) }
        }
        let value4 = try fixture.store.permits(holder: "hotel-1").count
        #expect(value4 == 3)
        let value5 = try fixture.store.headSeq()
        #expect(value5 == head + 3)
    }

    @Test("a retry with the same Idempotency-Key returns the first answer and creates nothing; the key on another request is 422")
    func idempotentRetries() async throws {
        let fixture = try ControlFixture()
        let head = try fixture.store.headSeq()
        let request = #"{"plate": "1111BBB", "arrival": "\#(Self.day(1))", "departure": "\#(Self.day(2))"}"#
        try await fixture.application().test(.router) { client in
            let first = try await client.execute(
                uri: "/api/v1/holders/hotel-1/guests", method: .post, headers: Self.headers(fixture, .citizenApp, key: "k-1"), body: Self.body(request)
            ) { response in
                #expect(response.status == .created)
                #expect(response.headers[.init("Idempotent-Replayed")!] == nil)
                return try response.json()["id"] as? String
            }
            try await client.execute(
                uri: "/api/v1/holders/hotel-1/guests", method: .post, headers: Self.headers(fixture, .citizenApp, key: "k-1"), body: Self.body(request)
            ) { response in
                #expect(response.status == .created)
                #expect(response.headers[.init("Idempotent-Replayed")!] == "true")
                let value6 = try response.json()["id"] as? String
                #expect(value6 == first)
            }
            try await client.execute(
                uri: "/api/v1/holders/hotel-1/guests", method: .post, headers: Self.headers(fixture, .citizenApp, key: "k-1"),
                body: Self.body(request.replacingOccurrences(of: "1111BBB", with: "2222CCC"))
            ) { response in
                #expect(response.status == .unprocessableContent)
                let value7 = (try response.json()["errors"] as? [[String: Any]])?.first?["field"] as? String
                #expect(value7 == "Idempotency-Key")
            }
            // Another key is another request.
            try await client.execute(
                uri: "/api/v1/holders/hotel-1/guests", method: .post, headers: Self.headers(fixture, .citizenApp, key: "k-2"), body: Self.body(request)
            ) { #expect($0.status == .created) }
        }
        let value8 = try fixture.store.headSeq()
        #expect(value8 == head + 2)
    }

    @Test("validation errors are problem+json naming the field and the reason")
    func validationNamesTheField() async throws {
        let fixture = try ControlFixture()
        let cases: [(String, String)] = [
            (#"{"plate": "1111BBB", "arrival": "\#(Self.day(1))"}"#, "departure"),
            (#"{"plate": "11Ñ1BBB", "arrival": "\#(Self.day(1))", "departure": "\#(Self.day(2))"}"#, "plate"),
            (#"{"plate": "1111BBB", "arrival": "\#(Self.day(-2))", "departure": "\#(Self.day(2))"}"#, "arrival"),
            (#"{"plate": "1111BBB", "arrival": "\#(Self.day(2))", "departure": "\#(Self.day(1))"}"#, "departure"),
            (#"{"plate": "1111BBB", "arrival": "tomorrow", "departure": "\#(Self.day(2))"}"#, "arrival"),
            (#"{"plate": 1111, "arrival": "\#(Self.day(1))", "departure": "\#(Self.day(2))"}"#, "plate"),
        ]
        try await fixture.application().test(.router) { client in
            for (body, field) in cases {
                try await client.execute(
                    uri: "/api/v1/holders/hotel-1/guests", method: .post, headers: Self.headers(fixture, .citizenApp), body: Self.body(body)
                ) { response in
                    #expect(response.status == .unprocessableContent, "\(body)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let errors = try response.json()["errors"] as? [[String: Any]]
                    #expect(errors?.first?["field"] as? String == field, "\(body)")
                    let reason: String = errors?.first?["reason"] as? String ?? ""
                    #expect(!reason.isEmpty)
                }
            }
        }
        #expect(try fixture.store.permits(holder: "hotel-1").isEmpty)
    }

    @Test("a resident replaces the vehicle of its permit at most 3 times in 30 days; a guest's permit is not re-plated")
    func plateReplacement() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            for (index, plate) in ["5678FGH", "6789GHJ", "7890HJK", "8901JKL"].enumerated() {
                try await client.execute(
                    uri: "/api/v1/holders/H1/permits/P1/plate", method: .put, headers: Self.headers(fixture, .citizenApp),
                    body: Self.body(#"{"plate": "\#(plate)"}"#)
                ) { response in
                    #expect(response.status == (index < 3 ? .ok : .conflict), "change \(index + 1)")
                }
            }
        }
        let value9 = try fixture.store.permit(id: "P1")?.plate.normalized
        #expect(value9 == "7890HJK")
        let dayAfter = MadridTime.local(Date().addingTimeInterval(2 * 86_400)).date
        let guest = try fixture.store.registerGuest(holder: "hotel-1", plate: "1111BBB", arrival: Self.tomorrow, departure: dayAfter)
        #expect(throws: HolderError.self) { try fixture.store.replacePlate(holder: "hotel-1", permitID: guest.id, plate: "2222CCC") }
    }

    @Test("a shop registers delivery vehicles for the loading hours with a 30-minute stay, within its quota, and ends one to free it")
    func deliveries() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            let id = try await client.execute(
                uri: "/api/v1/holders/shop-1/deliveries", method: .post, headers: Self.headers(fixture, .citizenApp),
                body: Self.body(#"{"plate": "5678FGH"}"#)
            ) { response in
                #expect(response.status == .created)
                let permit = try response.json()
                #expect(permit["profile"] as? String == "delivery")
                #expect(permit["max_stay_s"] as? Int == 1_800)
                #expect(permit["windows"] as? [String] == ["mon,tue,wed,thu,fri,sat 07:00-11:00"])
                return permit["id"] as? String ?? ""
            }
            try await client.execute(
                uri: "/api/v1/holders/shop-1/deliveries", method: .post, headers: Self.headers(fixture, .citizenApp),
                body: Self.body(#"{"plate": "6789GHJ"}"#)
            ) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/api/v1/holders/shop-1/permits/\(id)/end", method: .post, headers: Self.headers(fixture, .citizenApp)) {
                #expect($0.status == .ok)
                let value10 = try $0.json()["status"] as? String
                #expect(value10 == "revoked")
            }
            try await client.execute(
                uri: "/api/v1/holders/shop-1/deliveries", method: .post, headers: Self.headers(fixture, .citizenApp),
                body: Self.body(#"{"plate": "6789GHJ"}"#)
            ) { #expect($0.status == .created) }
            // A resident's permit comes from the register: the app does not end it.
            try await client.execute(uri: "/api/v1/holders/H1/permits/P1/end", method: .post, headers: Self.headers(fixture, .citizenApp)) {
                #expect($0.status == .conflict)
            }
        }
    }

    @Test("an application for a temporary permit waits for an operator; approval creates the permit, refusal needs a reason; both audited")
    func applications() async throws {
        let fixture = try ControlFixture()
        try await fixture.application().test(.router) { client in
            let id = try await client.execute(
                uri: "/api/v1/holders/H1/applications", method: .post, headers: Self.headers(fixture, .citizenApp),
                body: Self.body(#"{"plate": "9012JKL", "valid_from": "\#(Self.day(1))", "valid_until": "\#(Self.day(2))", "reason": "moving house"}"#)
            ) { response in
                #expect(response.status == .created)
                let value11 = try response.json()["state"] as? String
                #expect(value11 == "pending")
                return try response.json()["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/applications", method: .get, headers: fixture.headers(.operator_)) { response in
                let ids = (try response.json()["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                #expect(ids?.contains(id) == true)
            }
            try await client.execute(uri: "/api/v1/applications/\(id)/approve", method: .post, headers: Self.headers(fixture, .operator_)) { response in
                #expect(response.status == .ok)
                let permitID = try #require(try response.json()["permit_id"] as? String)
                let permit = try #require(try fixture.store.permit(id: permitID))
                #expect(permit.profile == .temporary && permit.holder == "H1" && permit.plate.normalized == "9012JKL")
            }
            try await client.execute(uri: "/api/v1/applications/\(id)/approve", method: .post, headers: Self.headers(fixture, .operator_)) {
                #expect($0.status == .conflict)
            }
            try await client.execute(
                uri: "/api/v1/applications/\(fixture.applicationID)/refuse", method: .post, headers: Self.headers(fixture, .operator_), body: Self.body("{}")
            ) { #expect($0.status == .unprocessableContent) }
            try await client.execute(
                uri: "/api/v1/applications/\(fixture.applicationID)/refuse", method: .post, headers: Self.headers(fixture, .operator_),
                body: Self.body(#"{"reason": "no licence for that address"}"#)
            ) { response in
                let state = try response.json()["state"] as? String
                #expect(state == "refused")
            }
            try await client.execute(uri: "/api/v1/holders/H1/applications/\(fixture.applicationID)", method: .get, headers: fixture.headers(.citizenApp)) {
                let value12 = try $0.json()["decision_reason"] as? String
                #expect(value12 == "no licence for that address")
            }
        }
        let actions = try AuditLog(store: fixture.store).entries().map(\.action)
        #expect(actions.filter { $0.hasPrefix("application.") }.sorted() == ["application.approve", "application.refuse"])
    }

    @Test("a register file over the API: a dry run changes nothing, the apply is all or nothing, and a malformed file names its lines")
    func registers() async throws {
        let fixture = try ControlFixture()
        let head = try fixture.store.headSeq()
        let file = """
            \(PermitCSV.header)
            R-1,1111BBB,resident,casco-viejo,2026-01-01,,,,active,H-1
            R-2,2222CCC,resident,casco-viejo,2026-01-01,,,,active,H-2
            """
        try await fixture.application().test(.router) { client in
            try await client.execute(
                uri: "/api/v1/registry/registers/residents?dry_run=true", method: .post, headers: fixture.headers(.integration), body: Self.body(file)
            ) { response in
                #expect(response.status == .ok)
                let value13 = try response.json()["added"] as? [String]
                #expect(value13 == ["R-1", "R-2"])
                let value14 = try response.json()["dry_run"] as? Bool
                #expect(value14 == true)
            }
            let value15 = try fixture.store.headSeq()
            #expect(value15 == head)
            let broken = file + "\nR-3,11Ñ1BBB,resident,casco-viejo,2026-01-01,,,,active,H-3\nR-4,4444FFF,alien,casco-viejo,2026-01-01,,,,active,H-4"
            try await client.execute(
                uri: "/api/v1/registry/registers/residents", method: .post, headers: fixture.headers(.integration), body: Self.body(broken)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let lines = (try response.json()["errors"] as? [[String: Any]])?.compactMap { $0["line"] as? Int }
                #expect(lines == [4, 5])
            }
            let value16 = try fixture.store.headSeq()
            #expect(value16 == head)
            for pass in 1...2 {
                try await client.execute(
                    uri: "/api/v1/registry/registers/residents", method: .post, headers: fixture.headers(.integration), body: Self.body(file)
                ) { response in
                    #expect(response.status == .ok)
                    let value17 = try response.json()["added"] as? [String]
                    #expect(value17 == (pass == 1 ? ["R-1", "R-2"] : []))
                }
            }
            try await client.execute(uri: "/api/v1/registry/permits.csv?register=residents", method: .get, headers: fixture.headers(.integration)) {
                #expect($0.text.split(separator: "\n").count == 3)
            }
        }
        let value18 = try fixture.store.headSeq()
        #expect(value18 == head + 2)
    }

    @Test("the register of holders over the API: a dry run writes nothing, the import adds and changes in one go, a bad line refuses the file")
    func holdersRegister() async throws {
        let fixture = try ControlFixture()
        let file = """
            \(HolderCSV.header)
            hotel-1,hotel,casco-viejo,5,0
            hotel-2,hotel,casco-viejo;ensanche,3,0
            """
        try await fixture.application().test(.router) { client in
            try await client.execute(
                uri: "/api/v1/registry/holders.csv?dry_run=true", method: .post, headers: fixture.headers(.integration), body: Self.body(file)
            ) { response in
                #expect(response.status == .ok)
                let report = try response.json()
                #expect(report["added"] as? [String] == ["hotel-2"])
                #expect(report["changed"] as? [String] == ["hotel-1"])
            }
            #expect(try fixture.store.holder(id: "hotel-1")?.guestQuota == 2)
            try await client.execute(
                uri: "/api/v1/registry/holders.csv", method: .post, headers: fixture.headers(.integration),
                body: Self.body(file + "\nshop-9,bakery,casco-viejo,0,1")
            ) { response in
                #expect(response.status == .unprocessableContent)
                let lines = (try response.json()["errors"] as? [[String: Any]])?.compactMap { $0["line"] as? Int }
                #expect(lines == [4])
            }
            #expect(try fixture.store.holder(id: "hotel-2") == nil)
            try await client.execute(uri: "/api/v1/registry/holders.csv", method: .post, headers: fixture.headers(.integration), body: Self.body(file)) {
                #expect($0.status == .ok)
            }
            #expect(try fixture.store.holder(id: "hotel-1")?.guestQuota == 5)
            #expect(try fixture.store.holder(id: "hotel-2")?.zones == ["casco-viejo", "ensanche"])
            try await client.execute(uri: "/api/v1/registry/holders.csv", method: .get, headers: fixture.headers(.integration)) { response in
                let rows = try HolderCSV.parse(response.text)
                #expect(rows.map(\.id) == ["H1", "hotel-1", "hotel-2", "shop-1"])
            }
        }
    }
}
