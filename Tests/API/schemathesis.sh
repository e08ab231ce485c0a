#!/usr/bin/env bash
# A property-based run of the whole HTTP API from its OpenAPI document (issue 11): schemathesis
# generates requests for every operation, with a token of each role, against a real
# `bollard-central run --http`, and fails on any server error or any response the document
# does not describe (status, content type, schema).
#
#   Tests/API/schemathesis.sh [BIN_DIR] [SCHEMATHESIS]     (make test runs it through APIPropertyTests)
set -euo pipefail
BIN=${1:-.build/debug}
ST=${2:-.build/schemathesis/bin/st}
EXAMPLES=${ST_EXAMPLES:-5}
DIR=$(mktemp -d /tmp/bollard-schemathesis-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CENTRAL=""
cleanup() { [ -n "$CENTRAL" ] && kill "$CENTRAL" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT

central() { "$BIN/bollard-central" "$@" --data-dir "$DIR/central" --log-level error; }
# Data for the generated requests to find: holders of each kind, an application, a gate.
central holders set --id H1 --kind person --zones casco-viejo >/dev/null
central holders set --id hotel-arriaga --kind hotel --zones casco-viejo --guest-quota 5 >/dev/null
central holders set --id shop-somera --kind shop --zones casco-viejo --delivery-quota 2 >/dev/null
central permits add --id P1 --plate 1234BCD --profile resident --zones casco-viejo --holder H1 >/dev/null
declare -A TOKENS
for role in operator supervisor police integration citizen-app; do
    TOKENS[$role]=$(central tokens create --role "$role" --name "st-$role" | grep -o 'bt_[A-Za-z0-9_-]*' | head -1)
done

"$BIN/bollard-central" run --data-dir "$DIR/central" --gate-endpoint "tcp://127.0.0.1:*" --http "127.0.0.1:$PORT" --log-level error \
    >"$DIR/central.log" 2>&1 &
CENTRAL=$!
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$PORT/api/v1/openapi.json" >/dev/null 2>&1 && break; sleep 0.1; done

status=0
for role in citizen-app operator supervisor police integration; do
    echo "== schemathesis as $role"
    "$ST" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
        --header "Authorization: Bearer ${TOKENS[$role]}" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing --max-examples "$EXAMPLES" --seed 2026 --workers 1 \
        --request-timeout 10 --no-color --warnings off --suppress-health-check all || status=1
done
if ! kill -0 "$CENTRAL" 2>/dev/null; then echo "central died during the run:"; tail -20 "$DIR/central.log"; status=1; fi
exit $status
