#!/usr/bin/env bash
# Load run over HTTP on PostgreSQL (see bench/README.md). Needs wrk (apt-get install wrk) and
# a PostgreSQL server where the user may create databases.
#   BOOKINGS=1000000 DURATION=30s CLIENTS=16 RUNS=3 bench/run.sh
# GENERATE=0 reuses the data of a previous run and OUT names the directory of its ids
# (bench/out by default). PLATEAUX_BENCH_SERVER=postgres://postgres@ reaches the server
# through its Unix socket.
# Each of the RUNS runs measures availability then booking creation, each after a warm-up of
# the same load (WARMUP, 10s, not reported), on the same data: the bookings of earlier
# creation runs are deleted and vacuumed away first. The last lines give the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOKINGS=${BOOKINGS:-1000000}
DURATION=${DURATION:-30s}
CLIENTS=${CLIENTS:-16}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-10s}
SERVER=${PLATEAUX_BENCH_SERVER:-postgres://postgres@127.0.0.1:5432}
DB_URL="$SERVER/plateaux_bench"
BIND=127.0.0.1:18181
GENERATE=${GENERATE:-1}
export BENCH_OUT=${OUT:-bench/out}
mkdir -p "$BENCH_OUT"
RESULTS=$(mktemp)

# The slots create_bookings.lua books must be free again. The checkpoint writes out what the
# deletion and the vacuum dirtied, which the measured run would otherwise have to share the
# disk with.
free_slots() {
    psql -q "$DB_URL" \
        -c "DELETE FROM audit_events WHERE entity_type = 'booking' AND entity_id IN (SELECT id FROM bookings WHERE group_label = 'Charge')" \
        -c "DELETE FROM booking_learners WHERE booking_id IN (SELECT id FROM bookings WHERE group_label = 'Charge')" \
        -c "DELETE FROM bookings WHERE group_label = 'Charge'" \
        -c "VACUUM ANALYZE bookings" -c "VACUUM ANALYZE booking_learners" -c "VACUUM ANALYZE audit_events" \
        -c "CHECKPOINT"
}

cargo build --release --bin plateaux --bin plateaux-bench-data
if [ "$GENERATE" = 1 ]; then
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS plateaux_bench" -c "CREATE DATABASE plateaux_bench"
    PLATEAUX_DATABASE_URL=$DB_URL target/release/plateaux-bench-data "$BOOKINGS" "$BENCH_OUT"
else
    free_slots
fi
psql -q "$DB_URL" -c "VACUUM ANALYZE"
psql -At "$DB_URL" -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size('plateaux_bench')) || ', bookings: ' || count(*) FROM bookings"

PLATEAUX_DATABASE_URL=$DB_URL PLATEAUX_JWT_SECRET=bench-secret-bench-secret-bench-secret-0 \
PLATEAUX_BIND=$BIND PLATEAUX_LOG=warn PLATEAUX_DATABASE_POOL_SIZE=${POOL:-32} \
    target/release/plateaux serve &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$RESULTS"' EXIT
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
    local name=$1 b0 s0 t0 b1 s1 t1 out
    shift
    read -r b0 s0 t0 < <(cpu_ticks)
    out=$(wrk "$@")
    read -r b1 s1 t1 < <(cpu_ticks)
    echo "$out"
    echo "$out" | awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v name="$name" -v results="$RESULTS" '
        /requests in/ { n = $1 }
        /^Requests\/sec/ { rps = $2 }
        /^latency p99:/ { p99 = $3 }
        END {
            printf "machine: %.0f %% busy, %.0f %% stolen by the hypervisor; %.3f ms of CPU per request\n",
                100 * b / t, 100 * s / t, 10 * b / n
            printf "%s %.0f %.2f %.3f %.0f\n", name, rps, p99, 10 * b / n, 100 * s / t >> results
        }'
}
# The service's own count of requests by duration (its /metrics histogram), from the start
# of its handling to its answer: what wrk measures beyond it is spent in the kernel's socket
# queues and in wrk itself, which share the two cores.
route_buckets() {
    curl -sf "http://$BIND/metrics" | awk -v route="$1" 'index($0, "plateaux_http_request_duration_seconds_bucket{") == 1 && index($0, "route=\"" route "\"") {
        match($0, /le="[^"]*"/); printf "%s=%s ", substr($0, RSTART + 4, RLENGTH - 5), $NF }'
}
service_share() {
    awk -v before="$1" -v after="$2" 'BEGIN {
        n = split(after, a, " "); split(before, b, " ")
        for (i = 1; i <= n; i++) { split(a[i], x, "="); split(b[i], y, "="); count[x[1]] = x[2] - y[2] }
        total = count["+Inf"]
        if (!total) exit
        printf "service-side:"
        split("0.004 0.008 0.016 0.032", le, " ")
        for (i = 1; i <= 4; i++) printf " %.2f %% within %d ms;", 100 * count[le[i]] / total, le[i] * 1000
        printf "\n"
    }'
}
batches() {
    curl -sf "http://$BIND/metrics" | awk '/^plateaux_booking_batch_size_sum/ {s = $2} /^plateaux_booking_batch_size_count/ {n = $2}
        END { print n, s }'
}

for run in $(seq "$RUNS"); do
    free_slots
    # Each measure follows a warm-up of the same load: the first requests of new PostgreSQL
    # sessions fill their caches, and the pages a load reads may have left the page cache
    # meanwhile (this VM's host reclaims memory it finds cold; see bench/README.md).
    wrk -t2 -c"$CLIENTS" -d"$WARMUP" -s bench/availability.lua "http://$BIND" >/dev/null
    echo "== run $run of $RUNS: availability of one platform for one week ($CLIENTS clients, $DURATION)"
    before=$(route_buckets /api/v1/availability)
    measured availability -t2 -c"$CLIENTS" -d"$DURATION" -s bench/availability.lua "http://$BIND"
    service_share "$before" "$(route_buckets /api/v1/availability)"
    wrk -t2 -c"$CLIENTS" -d"$WARMUP" -s bench/create_bookings.lua "http://$BIND" -- 2 250001 >/dev/null
    echo "== run $run of $RUNS: booking creation ($CLIENTS clients, $DURATION)"
    read -r n0 s0 < <(batches)
    measured creation -t2 -c"$CLIENTS" -d"$DURATION" -s bench/create_bookings.lua "http://$BIND" -- 2
    read -r n1 s1 < <(batches)
    awk -v n0="$n0" -v s0="$s0" -v n1="$n1" -v s1="$s1" 'BEGIN { n = n1 - n0; s = s1 - s0
        if (n) printf "booking batches: %d, %.1f requests each on average\n", n, s / n }'
done
echo "service memory: $(grep -E 'VmHWM|VmRSS' /proc/$PID/status | tr -s ' \n' ' ')"
echo "== medians of $RUNS runs (requests/s, p99 ms, ms of CPU per request, % stolen)"
for name in availability creation; do
    awk -v name=$name '$1 == name' "$RESULTS" | awk -v name=$name '
        { for (i = 2; i <= 5; i++) v[i, NR] = $i }
        END {
            printf "%-12s", name
            for (i = 2; i <= 5; i++) {
                n = 0; for (r = 1; r <= NR; r++) col[++n] = v[i, r]
                # insertion sort: a handful of runs
                for (a = 2; a <= n; a++) { x = col[a]; b = a - 1; while (b > 0 && col[b] > x) { col[b + 1] = col[b]; b-- } col[b + 1] = x }
                printf " %s", (n % 2) ? col[(n + 1) / 2] : (col[n / 2] + col[n / 2 + 1]) / 2
            }
            printf "   (runs:"
            for (r = 1; r <= NR; r++) printf " %s", v[2, r]
            printf ")\n"
        }'
done
