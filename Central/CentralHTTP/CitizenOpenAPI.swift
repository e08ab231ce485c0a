import Foundation

/// The OpenAPI description of the city's routes (`CitizenAPI`), merged into the one document
/// served at `/api/v1/openapi.json`: its `paths` and `components.schemas` join the control
/// centre's. Kept beside the routes it describes; `OpenAPITests` checks both agree.
enum CitizenOpenAPI {
    static let fragment = #"""
    {
      "components": {
        "parameters": {
          "holder": {"name": "holder", "in": "path", "required": true, "description": "The holder the app acts for (an opaque id from the council)", "schema": {"type": "string"}, "example": "hotel-arriaga"},
          "permit": {"name": "permit", "in": "path", "required": true, "schema": {"type": "string"}, "example": "G-7Q2M9KX4TB"},
          "application": {"name": "application", "in": "path", "required": true, "schema": {"type": "string"}, "example": "A-0M3K8TQZ2D"},
          "idempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": false, "description": "Send the same key again when retrying after a timeout: the first answer comes back (with `Idempotent-Replayed: true`) and nothing is created twice. The same key with another request answers 422. Kept 24 hours.", "schema": {"type": "string", "minLength": 1, "maxLength": 255}, "example": "9b1c6f3e-2a44-4e0b-8f7d-5c1e2b3a4d5f"}
        },
        "schemas": {
          "Permit": {
            "type": "object",
            "required": ["id", "plate", "profile", "zones", "status", "seq", "windows", "valid_from", "valid_until", "max_stay_s"],
            "properties": {
              "id": {"type": "string"}, "plate": {"type": "string"},
              "profile": {"type": "string", "enum": ["resident", "shopkeeper", "hotel_guest", "delivery", "taxi", "emergency", "public_service", "disability_badge", "temporary"]},
              "zones": {"type": "array", "items": {"type": "string"}},
              "status": {"type": "string", "enum": ["active", "suspended", "revoked"]},
              "seq": {"type": "integer", "description": "The permit change sequence this state has; gates hold it within a second"},
              "windows": {"type": "array", "items": {"type": "string"}, "description": "Weekly time windows in Madrid time, e.g. `mon,tue,wed,thu,fri,sat 07:00-11:00`; empty: any time"},
              "valid_from": {"type": "string", "format": "date-time"}, "valid_until": {"type": ["string", "null"], "format": "date-time"},
              "max_stay_s": {"type": ["integer", "null"], "description": "Longest stay inside the zone; a longer one becomes an overstay violation"}
            },
            "example": {"id": "G-7Q2M9KX4TB", "plate": "1234BCD", "profile": "hotel_guest", "zones": ["casco-viejo"], "status": "active", "seq": 1042, "windows": [], "valid_from": "2026-12-04T00:00:00+01:00", "valid_until": "2026-12-07T00:00:00+01:00", "max_stay_s": 3600}
          },
          "PermitList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Permit"}}}},
          "Holder": {
            "type": "object", "required": ["id", "kind", "zones", "guest_quota", "delivery_quota"],
            "properties": {
              "id": {"type": "string"}, "kind": {"type": "string", "enum": ["person", "hotel", "shop"]}, "zones": {"type": "array", "items": {"type": "string"}},
              "guest_quota": {"type": "integer"}, "delivery_quota": {"type": "integer"},
              "active_permits": {"type": "integer"}, "guests_registered": {"type": "integer"}, "deliveries_registered": {"type": "integer"}
            },
            "example": {"id": "hotel-arriaga", "kind": "hotel", "zones": ["casco-viejo"], "guest_quota": 12, "delivery_quota": 0, "active_permits": 3, "guests_registered": 3, "deliveries_registered": 0}
          },
          "HolderBody": {
            "type": "object", "required": ["kind", "zones"],
            "properties": {"kind": {"type": "string", "enum": ["person", "hotel", "shop"]}, "zones": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 16}, "guest_quota": {"type": "integer", "minimum": 0, "maximum": 10000}, "delivery_quota": {"type": "integer", "minimum": 0, "maximum": 10000}},
            "example": {"kind": "hotel", "zones": ["casco-viejo"], "guest_quota": 12}
          },
          "VehicleList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"type": "object", "required": ["plate", "permits"], "properties": {"plate": {"type": "string"}, "permits": {"type": "array", "items": {"type": "string"}}}}}}},
          "PlateBody": {"type": "object", "required": ["plate"], "properties": {"plate": {"type": "string"}}, "example": {"plate": "5678FGH"}},
          "GuestBody": {
            "type": "object", "required": ["plate", "arrival", "departure"],
            "properties": {"plate": {"type": "string"}, "arrival": {"type": "string", "format": "date", "description": "First night (Madrid day); today or later"}, "departure": {"type": "string", "format": "date", "description": "Day the guest leaves; the permit lasts through it"}},
            "example": {"plate": "1234BCD", "arrival": "2026-12-04", "departure": "2026-12-06"}
          },
          "DeliveryBody": {
            "type": "object", "required": ["plate"],
            "properties": {"plate": {"type": "string"}, "until": {"type": "string", "format": "date", "description": "Last day; open-ended without it"}},
            "example": {"plate": "5678FGH", "until": "2027-06-30"}
          },
          "ApplicationBody": {
            "type": "object", "required": ["plate", "valid_from", "valid_until", "reason"],
            "properties": {"plate": {"type": "string"}, "valid_from": {"type": "string", "description": "RFC 3339 date-time, or a date (its Madrid midnight)"}, "valid_until": {"type": "string"}, "reason": {"type": "string", "minLength": 1, "maxLength": 500}, "zones": {"type": "array", "items": {"type": "string"}, "description": "Default: the holder's zones"}},
            "example": {"plate": "9012JKL", "valid_from": "2026-12-10T08:00:00+01:00", "valid_until": "2026-12-10T14:00:00+01:00", "reason": "moving house, calle Somera 12"}
          },
          "Application": {
            "type": "object", "required": ["id", "holder", "plate", "zones", "valid_from_ms", "valid_until_ms", "reason", "state", "created_ms"],
            "properties": {
              "id": {"type": "string"}, "holder": {"type": "string"}, "plate": {"type": "string"}, "zones": {"type": "array", "items": {"type": "string"}},
              "valid_from_ms": {"type": "integer"}, "valid_until_ms": {"type": "integer"}, "reason": {"type": "string"},
              "state": {"type": "string", "enum": ["pending", "approved", "refused"]}, "permit_id": {"type": ["string", "null"]},
              "decided_by": {"type": ["string", "null"]}, "decision_reason": {"type": ["string", "null"]}, "created_ms": {"type": "integer"}, "decided_ms": {"type": ["integer", "null"]}
            }
          },
          "ApplicationList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}}}},
          "ReasonBody": {"type": "object", "properties": {"reason": {"type": "string", "maxLength": 500}}, "example": {"reason": "no works licence for that address"}},
          "RegisterReport": {
            "type": "object", "required": ["register", "dry_run", "added", "changed", "revoked", "unchanged", "summary"],
            "properties": {"register": {"type": "string"}, "dry_run": {"type": "boolean"}, "added": {"type": "array", "items": {"type": "string"}}, "changed": {"type": "array", "items": {"type": "string"}}, "revoked": {"type": "array", "items": {"type": "string"}}, "unchanged": {"type": "integer"}, "summary": {"type": "string"}},
            "example": {"register": "residents", "dry_run": true, "added": ["R-0001"], "changed": [], "revoked": ["R-0417"], "unchanged": 1180, "summary": "1 added, 0 changed, 1 revoked, 1180 unchanged"}
          },
          "WebhookList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "url": {"type": "string"}, "topics": {"type": "array", "items": {"type": "string"}}, "pending": {"type": "integer"}, "failing": {"type": "integer"}, "last_error": {"type": ["string", "null"]}}}}}}
        }
      },
      "paths": {
        "/api/v1/holders/{holder}": {
          "get": {"summary": "The holder the app acts for: kind, zones, quotas and how much of them is used", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}],
            "responses": {"200": {"description": "The holder", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Holder"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/permits": {
          "get": {"summary": "The holder's permits, newest change first (ended ones too)", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}],
            "responses": {"200": {"description": "Permits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PermitList"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/permits/{permit}": {
          "get": {"summary": "One of the holder's permits; another holder's answers 404", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/permit"}],
            "responses": {"200": {"description": "The permit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Permit"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/permits/{permit}/plate": {
          "put": {"summary": "Replace the permit's vehicle (resident, shopkeeper, disability badge, taxi, temporary; at most 3 times in 30 days)", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/permit"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PlateBody"}}}},
            "responses": {"200": {"description": "The permit with its new plate and sequence", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Permit"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/permits/{permit}/end": {
          "post": {"summary": "End a guest, delivery or temporary permit now (frees quota)", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/permit"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "responses": {"200": {"description": "The permit, revoked", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Permit"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/vehicles": {
          "get": {"summary": "The holder's vehicles: each plate with the current permits naming it", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}],
            "responses": {"200": {"description": "Vehicles", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VehicleList"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/guests": {
          "post": {"summary": "A hotel registers a guest's vehicle for the nights of a stay, within its quota for every night (drop-off: at most an hour inside)", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GuestBody"}}}},
            "responses": {"201": {"description": "The guest's permit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Permit"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/deliveries": {
          "post": {"summary": "A shop registers a delivery vehicle for the loading hours (Mon–Sat 07:00–11:00, 30 minutes inside), within its quota", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DeliveryBody"}}}},
            "responses": {"201": {"description": "The delivery permit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Permit"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/applications": {
          "get": {"summary": "The holder's applications for temporary permits, newest first", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}],
            "responses": {"200": {"description": "Applications", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationList"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}},
          "post": {"summary": "Apply for a temporary permit (moving house, works, a funeral); an operator approves or refuses it", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationBody"}}}},
            "responses": {"201": {"description": "The application, pending", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/holders/{holder}/applications/{application}": {
          "get": {"summary": "One of the holder's applications and its decision", "x-permission": "actForHolder",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/application"}],
            "responses": {"200": {"description": "The application", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/applications": {
          "get": {"summary": "Applications for operators to decide (pending by default)", "x-permission": "decideApplications",
            "parameters": [{"name": "state", "in": "query", "schema": {"type": "string", "enum": ["pending", "approved", "refused"], "default": "pending"}}],
            "responses": {"200": {"description": "Applications", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationList"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/applications/{application}/approve": {
          "post": {"summary": "Approve: the temporary permit is created and reaches the gates (audited)", "x-permission": "decideApplications",
            "parameters": [{"$ref": "#/components/parameters/application"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReasonBody"}}}},
            "responses": {"200": {"description": "The application, approved, with its permit id", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/applications/{application}/refuse": {
          "post": {"summary": "Refuse, with a reason the holder reads (audited)", "x-permission": "decideApplications",
            "parameters": [{"$ref": "#/components/parameters/application"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReasonBody"}}}},
            "responses": {"200": {"description": "The application, refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/registry/holders/{holder}": {
          "put": {"summary": "Add a holder or set its kind, zones and quotas (the council's systems; audited)", "x-permission": "manageRegisters",
            "parameters": [{"$ref": "#/components/parameters/holder"}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HolderBody"}}}},
            "responses": {"200": {"description": "The holder", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Holder"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/registry/registers/{register}": {
          "post": {"summary": "A municipal register file (CSV, the whole register): with dry_run=true what would change; otherwise applied all or nothing, idempotently. A malformed file is refused with every bad line", "x-permission": "manageRegisters",
            "parameters": [{"name": "register", "in": "path", "required": true, "schema": {"type": "string"}, "example": "residents"}, {"name": "dry_run", "in": "query", "schema": {"type": "boolean", "default": false}}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}, "example": "id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder\nR-0001,1234BCD,resident,casco-viejo,2026-01-01,,,,active,H-0001\n"}}},
            "responses": {"200": {"description": "What changed (or would)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RegisterReport"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/registry/permits.csv": {
          "get": {"summary": "Every permit (or one register's) as the CSV the import reads", "x-permission": "manageRegisters",
            "parameters": [{"name": "register", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/registry/holders.csv": {
          "post": {"summary": "The register of holders (CSV id,kind,zones,guest_quota,delivery_quota): with dry_run=true what would change; otherwise added and changed in one transaction (audited). Holders missing from the file are kept", "x-permission": "manageRegisters",
            "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean", "default": false}}, {"$ref": "#/components/parameters/idempotencyKey"}],
            "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}, "example": "id,kind,zones,guest_quota,delivery_quota\nhotel-arriaga,hotel,casco-viejo,12,0\nshop-somera,shop,casco-viejo,0,3\n"}}},
            "responses": {"200": {"description": "What changed (or would)", "content": {"application/json": {"schema": {"type": "object", "required": ["dry_run", "added", "changed", "unchanged", "summary"], "properties": {"dry_run": {"type": "boolean"}, "added": {"type": "array", "items": {"type": "string"}}, "changed": {"type": "array", "items": {"type": "string"}}, "unchanged": {"type": "integer"}, "summary": {"type": "string"}}}}}}, "409": {"$ref": "#/components/responses/Problem"}}},
          "get": {"summary": "Every holder as the CSV the import reads", "x-permission": "manageRegisters",
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}}
        },
        "/api/v1/webhooks": {
          "get": {"summary": "Webhook receivers and their outbox: pending, failing, last error", "x-permission": "viewWebhooks",
            "responses": {"200": {"description": "Receivers", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookList"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        }
      }
    }
    """#

    /// Every authenticated operation answers 401 (no or a revoked token) and 403 (a role without
    /// the permission) before its handler runs, 400 or 422 for input it cannot take, and 404
    /// for a path naming nothing; each operation lists them rather than each entry repeating them.
    static func withCommonResponses(_ paths: [String: Any]) -> [String: Any] {
        let problem: [String: Any] = ["$ref": "#/components/responses/Problem"]
        var result = paths
        for (path, item) in paths {
            guard var operations = item as? [String: Any] else { continue }
            for (method, value) in operations {
                guard var operation = value as? [String: Any], (operation["security"] as? [Any])?.isEmpty != true else { continue }
                var responses = operation["responses"] as? [String: Any] ?? [:]
                var codes = ["400", "401", "403"]
                if path.contains("{") { codes.append("404") }
                if operation["requestBody"] != nil || operation["parameters"] != nil { codes.append("422") }
                for code in codes where responses[code] == nil { responses[code] = problem }
                operation["responses"] = responses
                operations[method] = operation
            }
            result[path] = operations
        }
        return result
    }

    /// `base` with this fragment's paths, parameters and schemas added, and the common responses.
    static func merged(into base: String) -> String {
        guard var document = try? JSONSerialization.jsonObject(with: Data(base.utf8)) as? [String: Any],
            let extra = try? JSONSerialization.jsonObject(with: Data(fragment.utf8)) as? [String: Any]
        else { preconditionFailure("the OpenAPI documents are not JSON") }
        var paths = document["paths"] as? [String: Any] ?? [:]
        for (path, item) in extra["paths"] as? [String: Any] ?? [:] { paths[path] = item }
        document["paths"] = paths
        var components = document["components"] as? [String: Any] ?? [:]
        let extraComponents = extra["components"] as? [String: Any] ?? [:]
        for section in ["parameters", "schemas"] {
            var merged = components[section] as? [String: Any] ?? [:]
            for (name, value) in extraComponents[section] as? [String: Any] ?? [:] { merged[name] = value }
            components[section] = merged
        }
        document["components"] = components
        document["paths"] = withCommonResponses(document["paths"] as? [String: Any] ?? [:])
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
