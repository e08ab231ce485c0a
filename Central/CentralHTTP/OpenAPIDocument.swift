/// The OpenAPI 3.1 description of `/api/v1/`, served at `/api/v1/openapi.json`.
/// `OpenAPITests` fails when a route is missing here or documented but not served.
enum OpenAPIDocument {
    /// The whole document: the control centre's routes and the city's (`CitizenOpenAPI`).
    static let json = CitizenOpenAPI.merged(into: base)

    static let base = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Bollard control centre API",
        "version": "1.0.0",
        "description": "Gates, violations and reviews, review actions, images, evidence, the audit log, and the city's side (holders, permits, guests, deliveries, temporary permits, registers, webhooks) of bollard-central. Every route but this document needs `Authorization: Bearer <token>` (`bollard-central tokens create`); 401 without a valid token, 403 (and nothing changed) when the token's role may not. Errors are application/problem+json."
      },
      "servers": [{"url": "/"}],
      "security": [{"bearer": []}],
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {
          "id": {"name": "id", "in": "path", "required": true, "description": "GATE~ORIGIN~SEQ", "schema": {"type": "string"}},
          "day": {"name": "day", "in": "query", "description": "Madrid calendar day, YYYY-MM-DD", "schema": {"type": "string", "format": "date"}},
          "gate": {"name": "gate", "in": "query", "schema": {"type": "string"}},
          "state": {"name": "state", "in": "query", "schema": {"$ref": "#/components/schemas/CaseState"}},
          "cursor": {"name": "cursor", "in": "query", "description": "next_cursor of the previous page", "schema": {"type": "string"}},
          "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}
        },
        "responses": {
          "Problem": {"description": "An error", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        },
        "schemas": {
          "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}, "errors": {"type": "array", "description": "Validation errors: each field to blame and why", "items": {"type": "object", "required": ["field", "reason"], "properties": {"field": {"type": "string"}, "reason": {"type": "string"}, "line": {"type": "integer"}}}}}, "example": {"type": "about:blank", "title": "Unprocessable Content", "status": 422, "detail": "plate: character 3 ('Ñ') is not allowed", "errors": [{"field": "plate", "reason": "character 3 ('Ñ') is not allowed"}]}},
          "CaseState": {"type": "string", "enum": ["open", "confirmed", "dismissed", "escalated"]},
          "Case": {
            "type": "object",
            "required": ["id", "gate_id", "kind", "at_ms", "confidence", "candidates", "state", "source"],
            "properties": {
              "id": {"type": "string"}, "gate_id": {"type": "string"}, "kind": {"type": "string", "enum": ["violation", "review"]},
              "at_ms": {"type": "integer"}, "plate": {"type": ["string", "null"]}, "confidence": {"type": "number"},
              "permit_id": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]},
              "candidates": {"type": "array", "items": {"type": "string"}}, "state": {"$ref": "#/components/schemas/CaseState"},
              "char_confidences": {"type": ["array", "null"], "items": {"type": "number"}, "description": "The recogniser's confidence in each character of the plate (camera path)"},
              "source": {"type": "string", "enum": ["camera", "video", "replay", "generator", "injected", "unknown"], "description": "where the read came from; only camera and video reads can be confirmed and become fines (unknown: a gate of protocol revision 4 or older)"}
            }
          },
          "CasePage": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}, "next_cursor": {"type": ["string", "null"]}}},
          "CaseAction": {"type": "object", "properties": {"action": {"type": "string"}, "plate": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]}, "outcome": {"type": ["string", "null"]}, "actor": {"type": "string"}, "role": {"type": "string"}, "at_ms": {"type": "integer"}}},
          "CaseDetail": {
            "type": "object",
            "properties": {
              "event": {"$ref": "#/components/schemas/Case"},
              "gate": {"type": ["object", "null"]},
              "permit": {"type": ["object", "null"], "description": "The permit the gate found (violations)"},
              "candidate_permits": {"type": "array", "items": {"type": "object"}},
              "actions": {"type": "array", "items": {"$ref": "#/components/schemas/CaseAction"}},
              "images": {"type": "array", "items": {"type": "object", "properties": {"role": {"type": "string"}, "url": {"type": "string"}}}}
            }
          },
          "ActionBody": {"type": "object", "properties": {"plate": {"type": "string", "description": "confirm: corrected plate, re-decided against the permits valid at the passage"}, "reason": {"type": "string", "description": "dismiss (required) and escalate"}}},
          "AuditEntry": {"type": "object", "properties": {"seq": {"type": "integer"}, "at_ms": {"type": "integer"}, "actor": {"type": "string"}, "role": {"type": "string"}, "action": {"type": "string"}, "subject": {"type": "string"}, "reason": {"type": "string"}, "prev_hash": {"type": "string"}, "hash": {"type": "string"}}}
        }
      },
      "paths": {
        "/api/v1/openapi.json": {
          "get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1 JSON"}}}
        },
        "/api/v1/gates": {
          "get": {"summary": "Every gate: ok, lagging or offline, with its health (as `bollard-central status --json`)", "x-permission": "viewGates",
            "responses": {"200": {"description": "Status", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/violations": {
          "get": {"summary": "Violations, newest first", "x-permission": "viewCases",
            "parameters": [{"$ref": "#/components/parameters/day"}, {"$ref": "#/components/parameters/gate"}, {"$ref": "#/components/parameters/state"}, {"$ref": "#/components/parameters/cursor"}, {"$ref": "#/components/parameters/limit"}],
            "responses": {"200": {"description": "A page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CasePage"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/reviews": {
          "get": {"summary": "Review events (doubtful reads), newest first", "x-permission": "viewCases",
            "parameters": [{"$ref": "#/components/parameters/day"}, {"$ref": "#/components/parameters/gate"}, {"$ref": "#/components/parameters/state"}, {"$ref": "#/components/parameters/cursor"}, {"$ref": "#/components/parameters/limit"}],
            "responses": {"200": {"description": "A page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CasePage"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/violations/{id}": {
          "get": {"summary": "One violation or review: event, gate, permit, candidates, review history, images", "x-permission": "viewCases",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "responses": {"200": {"description": "Detail", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseDetail"}}}}, "404": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/violations/{id}/confirm": {
          "post": {"summary": "Confirm (optionally with a corrected plate, decided again against the permits valid at the passage); 409 for a read that is not from a camera or video (injected, generated, replayed, unknown): it can never become a fine", "x-permission": "review",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionBody"}}}},
            "responses": {"200": {"description": "The case now", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseDetail"}}}}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/violations/{id}/dismiss": {
          "post": {"summary": "Dismiss with a reason", "x-permission": "review",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionBody"}}}},
            "responses": {"200": {"description": "The case now", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseDetail"}}}}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/violations/{id}/escalate": {
          "post": {"summary": "Pass to a supervisor", "x-permission": "review",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionBody"}}}},
            "responses": {"200": {"description": "The case now", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseDetail"}}}}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/events/{id}/images/{role}": {
          "get": {"summary": "An event's frame or crop (JPEG); every read is audited", "x-permission": "viewImages",
            "parameters": [{"$ref": "#/components/parameters/id"}, {"name": "role", "in": "path", "required": true, "schema": {"type": "string", "enum": ["frame", "crop"]}}],
            "responses": {"200": {"description": "JPEG", "content": {"image/jpeg": {}}}, "404": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/audit": {
          "get": {"summary": "The audit log, newest first", "x-permission": "readAudit",
            "parameters": [{"name": "before", "in": "query", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            "responses": {"200": {"description": "Entries", "content": {"application/json": {"schema": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}, "next_before": {"type": ["integer", "null"]}}}}}}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/violations/{id}/evidence": {
          "get": {"summary": "The evidence bundle of a violation or review (police): a ZIP that bollardctl evidence verify checks offline; every download is audited", "x-permission": "downloadEvidence",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "example": "gate-03~a1b2c3~17"}, {"name": "reason", "in": "query", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 500}, "example": "expediente 2026/1234"}],
            "responses": {"200": {"description": "The bundle", "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}
        },
        "/api/v1/violations/export": {
          "get": {"summary": "Confirmed violations of one Madrid day for the sanctions office, one line each with its evidence hash", "x-permission": "exportSanctions",
            "parameters": [{"name": "day", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}, "example": "2026-11-27"}, {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json"], "default": "csv"}}],
            "responses": {"200": {"description": "The day's batch", "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}
        }
      }
    }
    """#
}
