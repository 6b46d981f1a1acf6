#!/usr/bin/env bash
# Outbox drain rate (see bench/README.md): MESSAGES e-mails queued at once, sent by INSTANCES
# services to a local SMTP server (Debian's python3-aiosmtpd writing a Maildir).
#   MESSAGES=2000 INSTANCES=1 PLATEAUX_MAIL_SENDERS=4 bench/outbox.sh
# SMTP_SINK=1 makes the server accept and forget (aiosmtpd's Sink handler) instead of
# writing each message to its Maildir.
# On SQLite by default; PLATEAUX_BENCH_SERVER=postgres://postgres@127.0.0.1:5432 uses a fresh
# database plateaux_outbox_bench on that server instead. PROFILE=debug uses the debug build;
# BIN=<directory> uses the binaries already there (nothing is built).
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${MESSAGES:-2000}
INSTANCES=${INSTANCES:-1}
PROFILE=${PROFILE:-release}
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

if [ -n "${BIN:-}" ]; then
    :
elif [ "$PROFILE" = release ]; then
    cargo build --release --bin plateaux --bin plateaux-bench-outbox
else
    cargo build --bin plateaux --bin plateaux-bench-outbox
fi
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/$PROFILE}

if [ -n "${PLATEAUX_BENCH_SERVER:-}" ]; then
    psql -q "$PLATEAUX_BENCH_SERVER/postgres" -c "DROP DATABASE IF EXISTS plateaux_outbox_bench" \
        -c "CREATE DATABASE plateaux_outbox_bench"
    export PLATEAUX_DATABASE_URL="$PLATEAUX_BENCH_SERVER/plateaux_outbox_bench"
else
    export PLATEAUX_DATABASE_URL="sqlite://$WORK/plateaux.db"
fi
export PLATEAUX_JWT_SECRET=bench-secret-bench-secret-bench-secret-0
export PLATEAUX_MAIL_POLL_MS=100 PLATEAUX_LOG=${PLATEAUX_LOG:-warn}
"$BIN/plateaux" migrate >/dev/null

SMTP_PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "${SMTP_SINK:-0}" = 1 ]; then
    # Accepts and forgets: the mail server's own cost as small as it gets.
    "$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Sink &
else
    "$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$WORK/Maildir" &
fi
PIDS+=($!)
export PLATEAUX_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
for i in $(seq 1 "$INSTANCES"); do
    port=$((18280 + i))
    PLATEAUX_BIND="127.0.0.1:$port" "$BIN/plateaux" serve >/dev/null 2>"$WORK/service$i.log" &
    PIDS+=($!)
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
done

"$BIN/plateaux-bench-outbox" "$MESSAGES"
if [ "${SMTP_SINK:-0}" != 1 ]; then
    echo "received by the SMTP server: $(ls "$WORK/Maildir/new" | wc -l)"
fi
