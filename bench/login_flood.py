#!/usr/bin/env python3
"""A login flood against a running service, while another client reads the platforms.

    login_flood.py HOST PORT TOKEN PID [SECONDS] [FLOODERS]

The platforms are read from a second process, so that the flood's own event loop does
not count in their latencies.

FLOODERS connections (400) each send logins one after another for SECONDS (20): the demo
teacher's e-mail and right password, so that every admitted login costs a real Argon2
check. Meanwhile one connection sends GET /api/v1/platforms one after another with TOKEN
and records each latency, and the RSS of process PID is read from /proc every 50 ms.
Loopback only; standard library only. Prints one line of figures.
"""

import asyncio
import json
import sys
import time
from collections import Counter

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


async def measure(deadline, queue):
    platforms, latencies, rss = Counter(), [], []
    await asyncio.gather(reader_of_platforms(deadline, latencies, platforms), sampler(deadline, rss))
    queue.put((platforms, latencies, rss))


async def flood(deadline):
    logins = Counter()
    await asyncio.gather(*(flooder(deadline, logins) for _ in range(FLOODERS)))
    return logins


def main():
    import multiprocessing

    deadline = time.monotonic() + SECONDS
    rss_before = rss_mb()
    queue = multiprocessing.Queue()
    measurer = multiprocessing.Process(target=lambda: asyncio.run(measure(deadline, queue)))
    measurer.start()
    logins = asyncio.run(flood(deadline))
    platforms, latencies, rss = queue.get()
    measurer.join()
    ms = lambda s: round(s * 1000, 1)
    print(
        f"logins {dict(logins)} | platforms {dict(platforms)} n={len(latencies)} "
        f"p50={ms(percentile(latencies, 0.5))}ms p99={ms(percentile(latencies, 0.99))}ms "
        f"max={ms(max(latencies, default=float('nan')))}ms | "
        f"rss before={rss_before:.0f}MB max={max(rss, default=0):.0f}MB"
    )


main()
