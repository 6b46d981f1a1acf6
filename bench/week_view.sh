#!/usr/bin/env bash
# The week view of a platform (the web page /plateaux/{id}?semaine=…) on PostgreSQL with the
# bookings of bench/generate.rs (see bench/README.md, "Week view"). Needs wrk and a
# PostgreSQL server where the user may create databases.
#   BOOKINGS=1000000 DURATION=30s CLIENTS=8 RUNS=5 bench/week_view.sh
# GENERATE=0 reuses the database and ids of an earlier run of this script or of run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOKINGS=${BOOKINGS:-1000000}
DURATION=${DURATION:-30s}
CLIENTS=${CLIENTS:-8}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-10s}
SERVER=${PLATEAUX_BENCH_SERVER:-postgres://postgres@127.0.0.1:5432}
DB_URL="$SERVER/plateaux_bench"
BIND=127.0.0.1:18182
GENERATE=${GENERATE:-1}
TARGET=${CARGO_TARGET_DIR:-target}
export BENCH_OUT=${OUT:-bench/out}
mkdir -p "$BENCH_OUT"
JAR=$(mktemp)

cargo build --release --bin plateaux --bin plateaux-bench-data
if [ "$GENERATE" = 1 ]; then
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS plateaux_bench" -c "CREATE DATABASE plateaux_bench"
    PLATEAUX_DATABASE_URL=$DB_URL "$TARGET/release/plateaux-bench-data" "$BOOKINGS" "$BENCH_OUT"
    psql -q "$DB_URL" -c "VACUUM ANALYZE"
fi
psql -At "$DB_URL" -c "SELECT 'bookings: ' || count(*) FROM bookings"

PLATEAUX_DATABASE_URL=$DB_URL PLATEAUX_JWT_SECRET=bench-secret-bench-secret-bench-secret-0 \
PLATEAUX_BIND=$BIND PLATEAUX_LOG=warn PLATEAUX_DATABASE_POOL_SIZE=${POOL:-32} \
    "$TARGET/release/plateaux" serve &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$JAR"' EXIT
for _ in $(seq 50); do curl -sf "http://$BIND/readyz" >/dev/null && break; sleep 0.2; done
# Logging in as a browser does: the form's token, then the session cookie.
csrf=$(curl -sf -c "$JAR" "http://$BIND/connexion" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
curl -sf -b "$JAR" -c "$JAR" -o /dev/null -X POST "http://$BIND/connexion" \
    --data-urlencode "csrf=$csrf" --data-urlencode "email=bench-admin@bench.test" \
    --data-urlencode "password=bench-password-2027"
awk '$6 == "plateaux_session" { print $7 }' "$JAR" > "$BENCH_OUT/cookie.txt"
[ -s "$BENCH_OUT/cookie.txt" ] || { echo "no session cookie"; exit 1; }
page="/plateaux/$(head -1 "$BENCH_OUT/platforms.txt")?semaine=$(date -u -d "$(cat "$BENCH_OUT/first_free_day.txt") - 8 weeks" +%G-W%V)"
echo "one page: $(curl -sf -b "plateaux_session=$(cat "$BENCH_OUT/cookie.txt")" "http://$BIND$page" | wc -c) bytes of HTML ($page)"

RESULTS=()
for run in $(seq "$RUNS"); do
    wrk -t2 -c"$CLIENTS" -d"$WARMUP" -s bench/week_view.lua "http://$BIND" >/dev/null
    echo "== run $run of $RUNS: week view ($CLIENTS clients, $DURATION)"
    out=$(wrk -t2 -c"$CLIENTS" -d"$DURATION" -s bench/week_view.lua "http://$BIND")
    echo "$out"
    RESULTS+=("$(echo "$out" | awk '/^Requests\/sec/ { r = $2 } /^latency p50:/ { a = $3 } /^latency p99:/ { b = $3 } END { print r, a, b }')")
done
echo "service memory: $(grep -E 'VmHWM|VmRSS' /proc/$PID/status | tr -s ' \n' ' ')"
echo "== medians of $RUNS runs (requests/s, p50 ms, p99 ms)"
printf '%s\n' "${RESULTS[@]}" | awk '
    { for (i = 1; i <= 3; i++) v[i, NR] = $i }
    END {
        for (i = 1; i <= 3; i++) {
            n = 0; for (r = 1; r <= NR; r++) col[++n] = v[i, r]
            for (a = 2; a <= n; a++) { x = col[a]; b = a - 1; while (b > 0 && col[b] > x) { col[b + 1] = col[b]; b-- } col[b + 1] = x }
            printf " %s", (n % 2) ? col[(n + 1) / 2] : (col[n / 2] + col[n / 2 + 1]) / 2
        }
        printf "   (p99 of each run:"
        for (r = 1; r <= NR; r++) printf " %s", v[3, r]
        printf ")\n"
    }'
