#!/usr/bin/env python3
"""A login flood against a running service, while other clients read the platforms and book.

    login_flood.py HOST PORT TOKEN PID [SECONDS] [FLOODERS]

The platforms are read from a second process, so that the flood's own event loop does
not count in their latencies.

FLOODERS connections (400) each send logins one after another for SECONDS (20): the demo
teacher's e-mail and right password, so that every admitted login costs a real Argon2
check. Meanwhile one connection sends GET /api/v1/platforms one after another with TOKEN
and records each latency, another books successive free quarter-hours of one equipment
(the first needing no qualification) 10 ms apart, each a write to the database as the
logins' counts are, and the RSS of process PID is read from /proc every 50 ms.
Loopback only; standard library only. Prints one line of figures.
"""

import asyncio
import datetime
import json
import sys
import time
import urllib.request
from collections import Counter
from zoneinfo import ZoneInfo

HOST, PORT, TOKEN, PID = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
SECONDS = float(sys.argv[5]) if len(sys.argv) > 5 else 20.0
FLOODERS = int(sys.argv[6]) if len(sys.argv) > 6 else 400

LOGIN_BODY = json.dumps(
    {"email": "enseignant.soudage@demo.plateaux.test", "password": "demo-soudage-2027"}
).encode()
LOGIN = (
    f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
    f"Content-Length: {len(LOGIN_BODY)}\r\n\r\n"
).encode() + LOGIN_BODY
PLATFORMS = (
    f"GET /api/v1/platforms HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
).encode()


def bookable_equipment():
    request = urllib.request.Request(
        f"http://{HOST}:{PORT}/api/v1/equipment?limit=500",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request) as answer:
        items = json.load(answer)["items"]
    return next(
        e["id"] for e in items if not e["required_qualification_ids"] and e["status"] == "available"
    )


def quarter_hours():
    """Weekday mornings' quarter-hours (08:00 to 12:00, Paris), from a week on."""
    paris = ZoneInfo("Europe/Paris")
    day = datetime.date.today() + datetime.timedelta(days=7)
    while True:
        if day.weekday() < 5:
            for quarter in range(16):
                start = datetime.datetime.combine(day, datetime.time(8), paris)
                start += datetime.timedelta(minutes=15 * quarter)
                yield start, start + datetime.timedelta(minutes=15)
        day += datetime.timedelta(days=1)


def booking_request(equipment, start, end):
    body = json.dumps(
        {
            "equipment_id": equipment,
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            "group_label": "Charge",
            "learners": [{"status": "company", "headcount": 1}],
        }
    ).encode()
    return (
        f"POST /api/v1/bookings HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def exchange(reader, writer, request):
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status


async def flooder(deadline, statuses):
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(HOST, PORT)
            while time.monotonic() < deadline:
                statuses[await exchange(reader, writer, LOGIN)] += 1
            writer.close()
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            statuses["connection_error"] += 1
            await asyncio.sleep(0.05)


async def reader_of_platforms(deadline, latencies, statuses):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    while time.monotonic() < deadline:
        started = time.monotonic()
        status = await exchange(reader, writer, PLATFORMS)
        latencies.append(time.monotonic() - started)
        statuses[status] += 1
        await asyncio.sleep(0.01)
    writer.close()


async def booker(deadline, equipment, latencies, statuses):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    slots = quarter_hours()
    while time.monotonic() < deadline:
        request = booking_request(equipment, *next(slots))
        started = time.monotonic()
        status = await exchange(reader, writer, request)
        latencies.append(time.monotonic() - started)
        statuses[status] += 1
        await asyncio.sleep(0.01)
    writer.close()


def rss_mb():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def sampler(deadline, samples):
    while time.monotonic() < deadline:
        samples.append(rss_mb())
        await asyncio.sleep(0.05)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


async def measure(deadline, equipment, queue):
    platforms, latencies, rss = Counter(), [], []
    bookings, booking_latencies = Counter(), []
    await asyncio.gather(
        reader_of_platforms(deadline, latencies, platforms),
        booker(deadline, equipment, booking_latencies, bookings),
        sampler(deadline, rss),
    )
    queue.put((platforms, latencies, bookings, booking_latencies, rss))


async def flood(deadline):
    logins = Counter()
    await asyncio.gather(*(flooder(deadline, logins) for _ in range(FLOODERS)))
    return logins


def main():
    import multiprocessing

    equipment = bookable_equipment()
    deadline = time.monotonic() + SECONDS
    rss_before = rss_mb()
    queue = multiprocessing.Queue()
    measurer = multiprocessing.Process(
        target=lambda: asyncio.run(measure(deadline, equipment, queue))
    )
    measurer.start()
    logins = asyncio.run(flood(deadline))
    platforms, latencies, bookings, booking_latencies, rss = queue.get()
    measurer.join()
    ms = lambda s: round(s * 1000, 1)
    figures = lambda values: (
        f"n={len(values)} p50={ms(percentile(values, 0.5))}ms "
        f"p99={ms(percentile(values, 0.99))}ms max={ms(max(values, default=float('nan')))}ms"
    )
    print(
        f"logins {dict(logins)} | platforms {dict(platforms)} {figures(latencies)} | "
        f"bookings {dict(bookings)} {figures(booking_latencies)} | "
        f"rss before={rss_before:.0f}MB max={max(rss, default=0):.0f}MB"
    )


main()
