#!/usr/bin/env bash
# Report timings and service memory on PostgreSQL or SQLite (see bench/README.md). Needs curl
# and python3; for PostgreSQL a server where the user may create databases.
#   BACKEND=postgres BOOKINGS=1000000 RUNS=20 bench/reports.sh
#   BACKEND=sqlite   BOOKINGS=1000000 RUNS=20 bench/reports.sh
# GENERATE=0 reuses the data of the previous run of the same backend.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-postgres}
BOOKINGS=${BOOKINGS:-1000000}
RUNS=${RUNS:-20}
GENERATE=${GENERATE:-1}
SERVER=${PLATEAUX_BENCH_SERVER:-postgres://postgres@127.0.0.1:5432}
SQLITE_FILE=${SQLITE_FILE:-/tmp/plateaux_bench.db}
BIND=127.0.0.1:18182
OUT=bench/out/$BACKEND
mkdir -p "$OUT"

case $BACKEND in
postgres) DB_URL="$SERVER/plateaux_bench" ;;
sqlite) DB_URL="sqlite://$SQLITE_FILE" ;;
*) echo "BACKEND is postgres or sqlite" >&2; exit 2 ;;
esac

cargo build --release --bin plateaux --bin plateaux-bench-data
if [ "$GENERATE" = 1 ]; then
    if [ "$BACKEND" = postgres ]; then
        psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS plateaux_bench" -c "CREATE DATABASE plateaux_bench"
    else
        rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm"
    fi
    /usr/bin/time -f "generated in %e s, generator peak RSS %M kB" \
        env PLATEAUX_DATABASE_URL="$DB_URL" target/release/plateaux-bench-data "$BOOKINGS" "$OUT"
    if [ "$BACKEND" = postgres ]; then
        psql -q "$DB_URL" -c "VACUUM ANALYZE"
    else
        # What a deployment has: no ANALYZE statistics, the write-ahead log checkpointed.
        sqlite3 "$SQLITE_FILE" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    fi
fi
if [ "$BACKEND" = postgres ]; then
    psql -At "$DB_URL" -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size('plateaux_bench')) \
        || ', bookings: ' || (SELECT count(*) FROM bookings) || ', usage records: ' || (SELECT count(*) FROM booking_usages)"
else
    echo "database size: $(du -h "$SQLITE_FILE" | cut -f1), bookings: $(sqlite3 "$SQLITE_FILE" 'SELECT count(*) FROM bookings'), usage records: $(sqlite3 "$SQLITE_FILE" 'SELECT count(*) FROM booking_usages')"
fi

PLATEAUX_DATABASE_URL=$DB_URL PLATEAUX_JWT_SECRET=bench-secret-bench-secret-bench-secret-0 \
PLATEAUX_BIND=$BIND PLATEAUX_LOG=warn PLATEAUX_DATABASE_POOL_SIZE=${POOL:-32} \
    target/release/plateaux serve &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://$BIND/readyz" >/dev/null && break; sleep 0.2; done
# Access tokens last a quarter of an hour: log in again before each measure.
login() {
    TOKEN=$(curl -sf -X POST "http://$BIND/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"bench-admin@bench.test","password":"bench-password-2027"}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
}
echo "service memory after start: $(grep -E 'VmHWM|VmRSS' /proc/$PID/status | tr -s ' \n' ' ')"

YEAR=$(cat "$OUT/report_school_year.txt")
FIRST=${YEAR%-*}
PLATFORM=$(head -1 "$OUT/platforms.txt")
# A month in the middle of the school year, with its data.
MONTH_FROM="$((FIRST + 1))-03-01"
MONTH_TO="$((FIRST + 1))-03-31"
echo "backend $BACKEND, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), school year $YEAR, platform $PLATFORM"

# Times RUNS requests after two warm-up ones: median, p95 and max of curl's total time.
measure() {
    local name=$1 path=$2
    login
    for _ in 1 2; do
        curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://$BIND$path"
    done
    for _ in $(seq "$RUNS"); do
        curl -sf -o /dev/null -w '%{time_total} %{size_download}\n' \
            -H "Authorization: Bearer $TOKEN" "http://$BIND$path"
    done | python3 -c '
import math, sys
rows = [line.split() for line in sys.stdin]
t = sorted(float(r[0]) * 1000 for r in rows)
p95 = t[math.ceil(0.95 * len(t)) - 1]
print(f"{sys.argv[1]:<48} n={len(t)} median {t[len(t)//2]:8.1f} ms  p95 {p95:8.1f} ms  max {t[-1]:8.1f} ms  ({rows[0][1]} bytes)")
' "$name"
}

measure "indicators, campus, school year" "/api/v1/reports/indicators?school_year=$YEAR"
measure "indicators, campus, school year, csv" "/api/v1/reports/indicators?school_year=$YEAR&format=csv"
measure "usage, one platform, one month" "/api/v1/reports/usage?platform_id=$PLATFORM&from=$MONTH_FROM&to=$MONTH_TO"
measure "usage, one platform, school year by month" "/api/v1/reports/usage?platform_id=$PLATFORM&school_year=$YEAR&group_by=month"
measure "usage, campus, school year by platform,month" "/api/v1/reports/usage?school_year=$YEAR&group_by=platform,month"
measure "usage, campus, school year by organisation,learner_status" "/api/v1/reports/usage?school_year=$YEAR&group_by=organisation,learner_status"
measure "usage, campus, school year, svg chart" "/api/v1/reports/usage?school_year=$YEAR&format=svg"
echo "service memory after the reports: $(grep -E 'VmHWM|VmRSS' /proc/$PID/status | tr -s ' \n' ' ')"
