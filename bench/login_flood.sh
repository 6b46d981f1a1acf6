#!/usr/bin/env bash
# A flood of concurrent logins against a release build on SQLite with the demo campus, while
# other clients time GET /api/v1/platforms and bookings and the service's RSS is sampled (see
# bench/README.md). Loopback only, each run bounded by SECONDS.
#   RUNS=3 DURATION=20 FLOODERS=400 bench/login_flood.sh
# PLATEAUX_LOGIN_ATTEMPTS_PER_MINUTE=1000000 lifts the per-address limit, as if the flood
# came from many addresses, so that every attempt reaches the password gate.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${DURATION:-20}
FLOODERS=${FLOODERS:-400}
BIND=127.0.0.1:18282
# BIN=<file> runs that binary (e.g. a copy of an earlier build) and builds nothing.
if [ -n "${BIN:-}" ]; then
    BIN=$(realpath "$BIN")
else
    BIN=$(realpath -m "${CARGO_TARGET_DIR:-target}/release/plateaux")
    cargo build --release --bin plateaux
fi
ulimit -n 4096

for run in $(seq 1 "$RUNS"); do
    DIR=$(mktemp -d)
    (cd "$DIR" && PLATEAUX_BIND=$BIND PLATEAUX_LOG=warn exec "$BIN" serve --demo >"$DIR/log" 2>&1) &
    PID=$! # the service itself: the subshell execs it
    for _ in $(seq 1 100); do
        curl -sf "http://$BIND/healthz" >/dev/null && break
        sleep 0.1
    done
    TOKEN=$(curl -sf -X POST "http://$BIND/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"directeur@demo.plateaux.test","password":"demo-directeur-2027"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    echo "run $run: $(timeout $((SECONDS_PER_RUN + 30)) python3 bench/login_flood.py 127.0.0.1 "${BIND#*:}" "$TOKEN" "$PID" "$SECONDS_PER_RUN" "$FLOODERS")"
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    rm -rf "$DIR"
done
