#!/usr/bin/env bash
# make bench-http: p50/p99 of the dashboard page and the gate and violation list APIs
# with 30 gates and 1,000,000 stored events, measured with wrk against a release build.
set -euo pipefail
BIN=${BIN:-.build/release}
DIR=$(mktemp -d /tmp/bollard-bench-http-XXXXXX)
PORT=${PORT:-18080}
DURATION=${DURATION:-15s}
trap 'kill $CENTRAL 2>/dev/null || true; wait $CENTRAL 2>/dev/null || true; rm -rf "$DIR"' EXIT

TOKEN=$("$BIN/bollard-bench" http-seed --data-dir "$DIR/central" --gates 30 --events 1000000 | tail -1)
"$BIN/bollard-central" run --data-dir "$DIR/central" --gate-endpoint "tcp://127.0.0.1:*" --http "127.0.0.1:$PORT" --log-level error &
CENTRAL=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/openapi.json" >/dev/null && break; sleep 0.1; done
COOKIE=$(curl -s -o /dev/null -D - -d "token=$TOKEN" "http://127.0.0.1:$PORT/login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')

run() {  # name, path, header
    local out
    out=$(wrk -t2 -c4 -d"$DURATION" --latency -H "$3" "http://127.0.0.1:$PORT$2")
    printf '%-34s p50 %8s   p99 %8s   %s req/s\n' "$1" \
        "$(echo "$out" | awk '$1=="50%"{print $2}')" "$(echo "$out" | awk '$1=="99%"{print $2}')" \
        "$(echo "$out" | awk '/Requests\/sec/{print $2}')"
}
echo "30 gates, 1,000,000 events; wrk -t2 -c4 -d$DURATION, release build, $(nproc) cores"
run "GET /dashboard" "/dashboard" "Cookie: $COOKIE"
run "GET /api/v1/gates" "/api/v1/gates" "Authorization: Bearer $TOKEN"
run "GET /api/v1/violations" "/api/v1/violations" "Authorization: Bearer $TOKEN"
run "GET /api/v1/violations?state=open" "/api/v1/violations?state=open&limit=50" "Authorization: Bearer $TOKEN"
run "GET /api/v1/reviews?gate=gate-07" "/api/v1/reviews?gate=gate-07" "Authorization: Bearer $TOKEN"
