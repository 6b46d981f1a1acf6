#!/usr/bin/env bash
# Load run over HTTP on PostgreSQL (see bench/README.md). Needs wrk (apt-get install wrk) and
# a PostgreSQL server where the user may create databases.
#   BOOKINGS=1000000 DURATION=30s CLIENTS=16 bench/run.sh
# GENERATE=0 reuses the data of a previous run (its bookings made by create_bookings.lua are
# deleted first) and OUT names the directory of its ids (bench/out by default).
# PLATEAUX_BENCH_SERVER=postgres://postgres@ reaches the server through its Unix socket.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOKINGS=${BOOKINGS:-1000000}
DURATION=${DURATION:-30s}
CLIENTS=${CLIENTS:-16}
SERVER=${PLATEAUX_BENCH_SERVER:-postgres://postgres@127.0.0.1:5432}
DB_URL="$SERVER/plateaux_bench"
BIND=127.0.0.1:18181
GENERATE=${GENERATE:-1}
export BENCH_OUT=${OUT:-bench/out}
mkdir -p "$BENCH_OUT"

cargo build --release --bin plateaux --bin plateaux-bench-data
if [ "$GENERATE" = 1 ]; then
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS plateaux_bench" -c "CREATE DATABASE plateaux_bench"
    PLATEAUX_DATABASE_URL=$DB_URL target/release/plateaux-bench-data "$BOOKINGS" "$BENCH_OUT"
else
    # The slots create_bookings.lua books must be free again.
    psql -q "$DB_URL" \
        -c "DELETE FROM audit_events WHERE entity_type = 'booking' AND entity_id IN (SELECT id FROM bookings WHERE group_label = 'Charge')" \
        -c "DELETE FROM booking_learners WHERE booking_id IN (SELECT id FROM bookings WHERE group_label = 'Charge')" \
        -c "DELETE FROM bookings WHERE group_label = 'Charge'"
fi
psql -q "$DB_URL" -c "VACUUM ANALYZE"
psql -At "$DB_URL" -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size('plateaux_bench')) || ', bookings: ' || count(*) FROM bookings"

PLATEAUX_DATABASE_URL=$DB_URL PLATEAUX_JWT_SECRET=bench-secret-bench-secret-bench-secret-0 \
PLATEAUX_BIND=$BIND PLATEAUX_LOG=warn PLATEAUX_DATABASE_POOL_SIZE=${POOL:-32} \
    target/release/plateaux serve &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://$BIND/readyz" >/dev/null && break; sleep 0.2; done
curl -sf -X POST "http://$BIND/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"bench-admin@bench.test","password":"bench-password-2027"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' > "$BENCH_OUT/token.txt"
echo "service RSS after start: $(grep VmRSS /proc/$PID/status)"

# The machine's CPU time (from /proc/stat, in ticks of 10 ms): busy, stolen by the
# hypervisor, and all. This machine is a VM with neighbours: a run that lost time to them
# says so, and the CPU time per request does not depend on it.
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
measured() {
    local b0 s0 t0 b1 s1 t1 out
    read -r b0 s0 t0 < <(cpu_ticks)
    out=$(wrk "$@")
    read -r b1 s1 t1 < <(cpu_ticks)
    echo "$out"
    echo "$out" | awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v t=$((t1 - t0)) '/requests in/ {
        printf "machine: %.0f %% busy, %.0f %% stolen by the hypervisor; %.3f ms of CPU per request\n",
            100 * b / t, 100 * s / t, 10 * b / $1 }'
}
echo "== availability of one platform for one week ($CLIENTS clients, $DURATION)"
measured -t2 -c"$CLIENTS" -d"$DURATION" -s bench/availability.lua "http://$BIND"
echo "== booking creation ($CLIENTS clients, $DURATION)"
measured -t2 -c"$CLIENTS" -d"$DURATION" -s bench/create_bookings.lua "http://$BIND" -- 2
curl -sf "http://$BIND/metrics" | awk '/^plateaux_booking_batch_size_sum/ {s = $2} /^plateaux_booking_batch_size_count/ {n = $2}
    END { if (n) printf "booking batches: %d, %.1f requests each on average\n", n, s / n }'
echo "service memory: $(grep -E 'VmHWM|VmRSS' /proc/$PID/status | tr -s ' \n' ' ')"
