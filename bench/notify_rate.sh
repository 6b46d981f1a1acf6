#!/usr/bin/env bash
# Booking creation with and without notifications (issue 12; see bench/README.md): the load of
# create_bookings.lua on PostgreSQL, booked by a teacher of a school that owns no platform,
# in two configurations alternated over RUNS runs, one service throughout, sending to a local
# SMTP server that accepts and forgets (Debian's python3-aiosmtpd, Sink handler):
#   notify:   the platforms ask outsiders for approval; each booking waits, and the
#             platform's manager is told (one outbox row per booking, sent by the service's
#             mail worker while the load runs);
#   silent:   the platforms do not; each booking is confirmed at once and queues nothing;
#   off:      (only when CONFIGS names it) as notify, but every manager turned
#             "booking_pending" off (PATCH /api/v1/me/notifications): the enqueue path reads
#             the names and recipients, and queues nothing.
# Every rule and write of the booking is the same in both; only the status and the mail differ.
#   BOOKINGS=200000 DURATION=20s CLIENTS=16 RUNS=5 bench/notify_rate.sh
# CONFIGS="notify silent off" adds the third configuration (default: "notify silent"); the
# order of the configurations is reversed every other run.
# GENERATE=0 reuses the data of an earlier run (database plateaux_notify_bench, ids in OUT,
# bench/out/notify by default). PROFILE=debug uses the debug build.
# PLATEAUX_BENCH_SERVER=postgres://postgres@ reaches the server through its Unix socket.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOKINGS=${BOOKINGS:-200000}
DURATION=${DURATION:-20s}
CLIENTS=${CLIENTS:-16}
RUNS=${RUNS:-5}
CONFIGS=${CONFIGS:-notify silent}
WARMUP=${WARMUP:-5s}
PROFILE=${PROFILE:-release}
PYTHON=${PYTHON:-/usr/bin/python3}
SERVER=${PLATEAUX_BENCH_SERVER:-postgres://postgres@127.0.0.1:5432}
DB_URL="$SERVER/plateaux_notify_bench"
BIND=127.0.0.1:18182
GENERATE=${GENERATE:-1}
export BENCH_OUT=${OUT:-bench/out/notify}
mkdir -p "$BENCH_OUT"
RESULTS=$(mktemp)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -f "$RESULTS"; }
trap cleanup EXIT

if [ "$PROFILE" = release ]; then
    cargo build --release --bin plateaux --bin plateaux-bench-data
else
    cargo build --bin plateaux --bin plateaux-bench-data
fi
BIN=${CARGO_TARGET_DIR:-target}/$PROFILE

sql() { psql -qAt "$DB_URL" "$@"; }
# The slots of create_bookings.lua free again, and the messages of earlier runs gone, so that
# every run books the same slots into the same tables.
free_slots() {
    sql -c "DELETE FROM audit_events WHERE entity_type = 'booking' AND entity_id IN (SELECT id FROM bookings WHERE group_label = 'Charge')" \
        -c "DELETE FROM booking_learners WHERE booking_id IN (SELECT id FROM bookings WHERE group_label = 'Charge')" \
        -c "DELETE FROM bookings WHERE group_label = 'Charge'" \
        -c "DELETE FROM outbox_messages" \
        -c "VACUUM ANALYZE bookings" -c "VACUUM ANALYZE booking_learners" -c "VACUUM ANALYZE audit_events" \
        -c "VACUUM ANALYZE outbox_messages" -c "CHECKPOINT"
}
# Waits until the mail worker has sent everything queued (at most a minute).
drained() {
    for _ in $(seq 300); do
        [ "$(sql -c "SELECT count(*) FROM outbox_messages WHERE state IN ('queued', 'failed')")" = 0 ] && return
        sleep 0.2
    done
    echo "the outbox did not drain within a minute" >&2
}

if [ "$GENERATE" = 1 ]; then
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS plateaux_notify_bench" -c "CREATE DATABASE plateaux_notify_bench"
    PLATEAUX_DATABASE_URL=$DB_URL "$BIN/plateaux-bench-data" "$BOOKINGS" "$BENCH_OUT"
fi
sql -c "VACUUM ANALYZE"
sql -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size('plateaux_notify_bench')) || ', bookings: ' || count(*) FROM bookings"

SMTP_PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# SINK_NICE=19 runs the sink at the lowest priority, standing for a relay on another machine
# (diagnostic: what the service alone costs).
nice -n "${SINK_NICE:-0}" "$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Sink &
SINK=$!
PIDS+=($SINK)
PLATEAUX_DATABASE_URL=$DB_URL PLATEAUX_JWT_SECRET=bench-secret-bench-secret-bench-secret-0 \
PLATEAUX_BIND=$BIND PLATEAUX_LOG=warn PLATEAUX_DATABASE_POOL_SIZE=${POOL:-32} \
PLATEAUX_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" PLATEAUX_LOGIN_ATTEMPTS_PER_MINUTE=1000 \
    "$BIN/plateaux" serve &
PID=$!
PIDS+=($PID)
for _ in $(seq 100); do curl -sf "http://$BIND/readyz" >/dev/null && break; sleep 0.2; done
curl -sf -X POST "http://$BIND/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"bench-teacher@bench.test","password":"bench-password-2027"}' \
    | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' > "$BENCH_OUT/token.txt"

# Each manager turns messages of bookings to approve on or off, as anybody would (logging in
# 40 times a change: the service above allows it).
TOLD=unknown
managers_told() {
    local p token
    [ "$TOLD" = "$1" ] && return
    TOLD=$1
    for p in $(seq 0 39); do
        token=$(curl -sf -X POST "http://$BIND/api/v1/auth/login" -H 'Content-Type: application/json' \
            -d "{\"email\":\"bench-manager-$p@bench.test\",\"password\":\"bench-password-2027\"}" \
            | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
        curl -sf -X PATCH "http://$BIND/api/v1/me/notifications" -H 'Content-Type: application/json' \
            -H "Authorization: Bearer $token" \
            -d "{\"kinds\":[{\"kind\":\"booking_pending\",\"enabled\":$1}]}" >/dev/null
    done
}
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
# Processor time of one process (user + system, in ticks).
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
one() {
    local config=$1 run=$2 b0 s0 t0 b1 s1 t1 out t_start p0 p1 k0 k1
    local approval=true
    [ "$config" = silent ] && approval=false
    # Every configuration sets the managers' choice it needs: an earlier run with "off" may
    # have left it off.
    if [ "$config" = off ]; then managers_told false; else managers_told true; fi
    sql -c "UPDATE platforms SET outside_requires_approval = $approval"
    free_slots
    wrk -t2 -c"$CLIENTS" -d"$WARMUP" -s bench/create_bookings.lua "http://$BIND" -- 2 250001 >/dev/null
    drained
    echo "== run $run of $RUNS, $config: booking creation ($CLIENTS clients, $DURATION)"
    t_start=$(sql -c "SELECT max(created_at) + 1 FROM bookings")
    read -r b0 s0 t0 < <(cpu_ticks)
    p0=$(proc_ticks "$PID"); k0=$(proc_ticks "$SINK")
    out=$(wrk -t2 -c"$CLIENTS" -d"$DURATION" -s bench/create_bookings.lua "http://$BIND" -- 2)
    read -r b1 s1 t1 < <(cpu_ticks)
    p1=$(proc_ticks "$PID"); k1=$(proc_ticks "$SINK")
    echo "$out" | grep -E 'Requests/sec|created|p99:'
    # What the measured run wrote: its bookings by status and its messages by kind (the
    # warm-up's, written before, are subtracted).
    sql -c "SELECT 'bookings of the run: ' || coalesce(string_agg(status || ' ' || n, ', '), 'none') FROM (SELECT status, count(*) n FROM bookings WHERE group_label = 'Charge' AND created_at >= $t_start GROUP BY status) s"
    sql -c "SELECT 'messages of the run: ' || coalesce(string_agg(kind || ' ' || n, ', '), 'none') FROM (SELECT kind, count(*) n FROM outbox_messages WHERE created_at >= $t_start GROUP BY kind) s"
    sql -c "SELECT 'of which sent when the load stopped: ' || count(*) FILTER (WHERE state = 'sent') || ', waiting: ' || count(*) FILTER (WHERE state <> 'sent') FROM outbox_messages WHERE created_at >= $t_start"
    drained
    echo "$out" | awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v p=$((p1 - p0)) -v k=$((k1 - k0)) -v config="$config" -v results="$RESULTS" '
        /requests in/ { n = $1 }
        /^Requests\/sec/ { rps = $2 }
        END {
            printf "machine: %.0f %% busy, %.0f %% stolen; %.3f ms of CPU per request\n", 100 * b / t, 100 * s / t, 10 * b / n
            printf "of which the service %.3f ms, the SMTP sink %.3f ms, the rest (PostgreSQL, wrk, other) %.3f ms\n", 10 * p / n, 10 * k / n, 10 * (b - p - k) / n
            printf "%s %.0f\n", config, rps >> results
        }'
}

for run in $(seq "$RUNS"); do
    # Alternated, and every other run in the reverse order, so that each configuration meets
    # the same machine (its neighbours, the host's reclaiming of cold pages) as far as can be.
    order=$CONFIGS
    [ $((run % 2)) = 0 ] && order=$(echo "$CONFIGS" | tr ' ' '\n' | tac | tr '\n' ' ')
    for config in $order; do one "$config" "$run"; done
done
echo "service memory: $(grep -E 'VmHWM' /proc/$PID/status | tr -s ' \n' ' ')"
echo "== bookings created a second over $RUNS runs"
for config in $CONFIGS; do
    awk -v c="$config" '$1 == c { printf " %s", $2 } END { print "" }' "$RESULTS" | sed "s/^/$config:/"
done
for config in $CONFIGS; do
    awk -v c="$config" '$1 == c { print $2 }' "$RESULTS" | sort -n \
        | awk -v c="$config" '{ x[NR] = $1 } END { printf "median %s: %s\n", c, (NR % 2) ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2 }'
done > "$RESULTS.medians"
cat "$RESULTS.medians"
awk '$2 == "silent:" { s = $3 } { m[$2] = $3 } END {
    for (c in m) if (c != "silent:") printf "%s / silent: %.3f\n", substr(c, 1, length(c) - 1), m[c] / s }' "$RESULTS.medians"
rm -f "$RESULTS.medians"
