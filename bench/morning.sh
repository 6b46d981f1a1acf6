#!/usr/bin/env bash
# The weekday-morning mix (see bench/README.md, "Weekday morning"): two `plateaux serve`
# instances on one PostgreSQL database behind HAProxy, then the same mix through HAProxy to
# one instance, RUNS times each. Needs wrk, haproxy and a PostgreSQL server where the user
# may create databases.
#   PLATEAUX_BENCH_SERVER=postgres://postgres@ POOL=16 RATE=100 RUNS=3 bench/morning.sh
# The data (BOOKINGS, 1,000,000 by default) is generated once into the database
# plateaux_morning and reused: GENERATE=1 makes it afresh, GENERATE=0 never (by default it
# is made when the database is missing). Before each measure what the runs wrote is undone
# (bookings made, approvals, usage records, their audit events and e-mails).
#
# Each kind of request runs in its own wrk process (bench/morning.lua), paced at its share
# of RATE requests a second, all at once: wrk gives latency percentiles per process only,
# so one process per kind is what gives p50/p99 by kind. INDICATORS_EVERY seconds, one
# request for the campus indicators of the last school year.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BOOKINGS=${BOOKINGS:-1000000}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
RUNS=${RUNS:-3}
RATE=${RATE:-100}
INDICATORS_EVERY=${INDICATORS_EVERY:-10}
MODES=${MODES:-2 1}
SERVER=${PLATEAUX_BENCH_SERVER:-postgres://postgres@127.0.0.1:5432}
DB_URL="$SERVER/plateaux_morning"
TARGET=$(realpath "${CARGO_TARGET_DIR:-target}")
GENERATE=${GENERATE:-auto}
export BENCH_OUT=${OUT:-bench/out/morning}
export MORNING_PROXY_PORT=18190
PORTS=(18191 18192)
mkdir -p "$BENCH_OUT"
WORK=$(mktemp -d)
RESULTS=$WORK/results
PIDS=()
stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

# Kind, weight in % of RATE, starting line of the warm-up (the measure starts at line 1).
KINDS=(availability week_view feed booking approval usage report)
declare -A WEIGHT=([availability]=40 [week_view]=20 [feed]=15 [booking]=10 [approval]=5 [usage]=7 [report]=3)
declare -A WARMUP_LINE=([booking]=150001 [approval]=8001 [usage]=8001)

cargo build --release --bin plateaux --bin plateaux-bench-data
exists=$(psql -At "$SERVER/postgres" -c "SELECT count(*) FROM pg_database WHERE datname = 'plateaux_morning'")
if [ "$GENERATE" = 1 ] || { [ "$GENERATE" = auto ] && [ "$exists" = 0 ]; }; then
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS plateaux_morning" -c "CREATE DATABASE plateaux_morning"
    PLATEAUX_DATABASE_URL=$DB_URL "$TARGET/release/plateaux-bench-data" "$BOOKINGS" "$BENCH_OUT"
    psql -q "$DB_URL" -c "VACUUM ANALYZE"
fi

# Undoes what a run wrote, so that every run meets the same data: the bookings made
# ('Charge'), the approvals (back to pending), the usage records (those with an audit
# event: the generated ones have none), the audit events and e-mails of all these. The
# checkpoint writes out what this dirtied, which the measure would otherwise share the disk
# with.
reset_data() {
    psql -q "$DB_URL" \
        -c "DELETE FROM booking_usages WHERE booking_id IN (SELECT entity_id FROM audit_events WHERE entity_type = 'booking' AND action = 'usage_recorded')" \
        -c "UPDATE bookings SET status = 'pending', status_reason = NULL, decided_by = NULL, decided_at = NULL, sequence = 0, updated_at = created_at WHERE group_label = 'Demande de mesure' AND status <> 'pending'" \
        -c "DELETE FROM audit_events WHERE entity_type = 'booking'" \
        -c "DELETE FROM booking_learners WHERE booking_id IN (SELECT id FROM bookings WHERE group_label = 'Charge')" \
        -c "DELETE FROM bookings WHERE group_label = 'Charge'" \
        -c "DELETE FROM outbox_messages" -c "DELETE FROM notification_sends" \
        -c "VACUUM ANALYZE bookings" -c "VACUUM ANALYZE booking_learners" -c "VACUUM ANALYZE booking_usages" \
        -c "VACUUM ANALYZE audit_events" -c "VACUUM ANALYZE outbox_messages" -c "CHECKPOINT"
}
reset_data
psql -At "$DB_URL" -c "SELECT 'database: ' || pg_size_pretty(pg_database_size('plateaux_morning')) || ', bookings: ' || count(*) || ', pending: ' || count(*) FILTER (WHERE status = 'pending') FROM bookings"
# Past confirmed sessions of equipment still unreported, the most recent first: the usage
# kind records them.
psql -At "$DB_URL" -c "SELECT b.id || ' ' || b.equipment_id || ' ' || to_char(to_timestamp(b.starts_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ' ' || to_char(to_timestamp(b.ends_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
    FROM bookings b WHERE b.status = 'confirmed' AND b.equipment_id IS NOT NULL AND b.ends_at < extract(epoch FROM now())
    AND NOT EXISTS (SELECT 1 FROM booking_usages u WHERE u.booking_id = b.id) ORDER BY b.starts_at DESC, b.id LIMIT 10000" > "$BENCH_OUT/usage.txt"

start_instance() {
    local i=$1
    mkdir -p "$WORK/instance-$i"
    # Its own working directory: without a mail server, e-mails are written into mail/ there.
    (cd "$WORK/instance-$i" && PLATEAUX_DATABASE_URL=$DB_URL \
        PLATEAUX_JWT_SECRET=bench-secret-bench-secret-bench-secret-0 \
        PLATEAUX_BIND=127.0.0.1:${PORTS[$i]} PLATEAUX_LOG=warn PLATEAUX_DATABASE_POOL_SIZE=${POOL:-32} \
        exec "$TARGET/release/plateaux" serve) &
    PIDS+=($!)
    INSTANCE_PIDS+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:${PORTS[$i]}/readyz" >/dev/null && return; sleep 0.2; done
    echo "instance $i did not start"; exit 1
}
start_proxy() {
    local n=$1
    { cat bench/haproxy.cfg
      for i in $(seq 0 $((n - 1))); do echo "    server plateaux-$((i + 1)) 127.0.0.1:${PORTS[$i]}"; done
    } > "$WORK/haproxy.cfg"
    haproxy -f "$WORK/haproxy.cfg" -db &
    PIDS+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$MORNING_PROXY_PORT/readyz" >/dev/null && return; sleep 0.2; done
    echo "haproxy did not start"; exit 1
}
# The API token and the browser session of the bench administrator (the campus director:
# every booking of a week drawn, every report allowed).
log_in() {
    local base=$1 jar=$WORK/jar csrf
    curl -sf -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"bench-admin@bench.test","password":"bench-password-2027"}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' > "$BENCH_OUT/token.txt"
    rm -f "$jar"
    csrf=$(curl -sf -c "$jar" "$base/connexion" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
    curl -sf -b "$jar" -c "$jar" -o /dev/null -X POST "$base/connexion" \
        --data-urlencode "csrf=$csrf" --data-urlencode "email=bench-admin@bench.test" \
        --data-urlencode "password=bench-password-2027"
    awk '$6 == "plateaux_session" { print $7 }' "$jar" > "$BENCH_OUT/cookie.txt"
    [ -s "$BENCH_OUT/cookie.txt" ] || { echo "no session cookie"; exit 1; }
}
# The calendar feeds subscribed to: every equipment item's, made afresh. A platform's feed
# (2.5 MB, about half a second: see bench/README.md) is left out of the mix; PLATFORM_FEEDS=1
# adds the 40 platforms' (one feed in eleven).
make_feeds() {
    local base=$1 token feed target
    token=$(cat "$BENCH_OUT/token.txt")
    psql -q "$DB_URL" -c "DELETE FROM calendar_tokens"
    : > "$BENCH_OUT/feeds.txt"
    while read -r feed target; do
        curl -sf -w "\n" -X POST "$base/api/v1/calendar-tokens" -H "Authorization: Bearer $token" \
            -H 'Content-Type: application/json' -d "{\"feed\":\"$feed\",\"target_id\":\"$target\"}" \
            | sed -n 's/.*"url":"\([^"]*\)".*/\1/p' >> "$BENCH_OUT/feeds.txt"
    done < <([ "${PLATFORM_FEEDS:-0}" = 1 ] && sed 's/^/platform /' "$BENCH_OUT/platforms.txt"; sed 's/^/equipment /' "$BENCH_OUT/equipment.txt")
}

# The machine's CPU time from /proc/stat (ticks): busy, stolen by the hypervisor, all.
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }

# Runs every kind at once against $1 for $2; with $3 = measure, writes each kind's wrk
# output into $WORK/<kind>.out.
mix() {
    local base=$1 duration=$2 what=$3 kind rate conns start pids=()
    for kind in "${KINDS[@]}" indicators; do
        if [ "$kind" = indicators ]; then
            rate=$(awk -v s="$INDICATORS_EVERY" 'BEGIN { print 1 / s }'); conns=1
        else
            rate=$(awk -v r="$RATE" -v w="${WEIGHT[$kind]}" 'BEGIN { print r * w / 100 }')
            # Enough connections for each to wait 100 ms or more between its requests.
            conns=$(awk -v r="$rate" 'BEGIN { c = int(r / 10 + 0.999); print (c < 2) ? 2 : c }')
        fi
        start=1
        [ "$what" = measure ] || start=${WARMUP_LINE[$kind]:-1}
        wrk -t1 -c"$conns" -d"$duration" --timeout 30s -s bench/morning.lua "$base" -- "$kind" "$rate" "$start" \
            > "$WORK/$kind.out" 2> "$WORK/$kind.err" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
}

: > "$RESULTS"
for run in $(seq "$RUNS"); do
    for mode in $MODES; do
        reset_data
        INSTANCE_PIDS=()
        for i in $(seq 0 $((mode - 1))); do start_instance "$i"; done
        start_proxy "$mode"
        base=http://127.0.0.1:$MORNING_PROXY_PORT
        log_in "$base"
        [ -s "$BENCH_OUT/feeds.txt" ] && [ "$run" -gt 1 ] || make_feeds "$base"
        mix "$base" "$WARMUP" warmup
        echo "== run $run of $RUNS, $mode instance(s) behind HAProxy: $RATE requests/s asked, $DURATION"
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        read -r b0 s0 t0 < <(cpu_ticks)
        mix "$base" "$DURATION" measure
        read -r b1 s1 t1 < <(cpu_ticks)
        total=0
        for kind in "${KINDS[@]}" indicators; do
            cat "$WORK/$kind.err" >&2
            line=$(awk -v kind="$kind" '
                /^requests:/ { n = $2; secs = $4 }
                /^statuses:/ { $1 = ""; statuses = substr($0, 2) }
                /^socket errors:/ { errors = $4 + $6 + $8 + $10 }
                /^latency p50:/ { p50 = $3 } /^latency p99:/ { p99 = $3 } /^latency max:/ { max = $3 }
                END { printf "%s %d %.1f %s %s %s %d %s", kind, n, n / secs, p50, p99, max, errors, statuses }' "$WORK/$kind.out")
            echo "$mode $run $line" >> "$RESULTS"
            echo "$line" | awk '{ printf "%-13s %6d requests %7.1f/s  p50 %8s ms  p99 %8s ms  max %8s ms  socket errors %s  statuses", $1, $2, $3, $4, $5, $6, $7; for (i = 8; i <= NF; i++) printf " %s", $i; printf "\n" }'
        done
        awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v loadavg="$load" -v mode="$mode" -v run="$run" -v results="$RESULTS" \
            'BEGIN { printf "machine: %.0f %% busy, %.0f %% stolen; load average before: %s\n", 100 * b / t, 100 * s / t, loadavg
                     printf "%s %s machine %.0f %.0f %s\n", mode, run, 100 * b / t, 100 * s / t, loadavg >> results }'
        for i in "${!INSTANCE_PIDS[@]}"; do
            mem=$(grep -E 'VmHWM|VmRSS' "/proc/${INSTANCE_PIDS[$i]}/status" | awk '{ printf "%s %d MB ", $1, $2 / 1024 }')
            echo "instance $((i + 1)): $mem"
            echo "$mode $run memory $((i + 1)) $mem" >> "$RESULTS"
        done
        stop_all
    done
done

echo "== medians over $RUNS runs (by instances behind HAProxy and kind: requests/s, p50 ms, p99 ms; then every run's p99)"
for mode in $MODES; do
    for kind in "${KINDS[@]}" indicators total; do
        awk -v mode="$mode" -v kind="$kind" '
            function median(a, n,   i, j, x) {
                for (i = 2; i <= n; i++) { x = a[i]; j = i - 1; while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
                return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            }
            $1 == mode && $3 == kind { n++; rate[n] = $5; p50[n] = $6; p99[n] = $7; runs = runs " " $7 }
            $1 == mode && kind == "total" && $3 != "machine" && $3 != "memory" { sum[$2] += $5 }
            END {
                if (kind == "total") { for (r in sum) { n++; rate[n] = sum[r]; runs = runs " " sum[r] }
                    printf "%s instance(s) %-13s %8.1f/s   (runs:%s)\n", mode, "all", median(rate, n), runs; exit }
                printf "%s instance(s) %-13s %8.1f/s  p50 %8.2f  p99 %8.2f   (p99:%s)\n", mode, kind, median(rate, n), median(p50, n), median(p99, n), runs
            }' "$RESULTS"
    done
done
echo "== every run (instances run kind requests rate p50 p99 max socket-errors statuses; machine busy stolen load; memory)"
cat "$RESULTS"
