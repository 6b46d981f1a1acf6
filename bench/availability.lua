-- wrk script: availability of one platform for one week, platforms and weeks drawn in turn
-- from the generated data (bench/out/platforms.txt, three years of weeks).
-- The data directory: $BENCH_OUT, bench/out by default.
out = os.getenv("BENCH_OUT") or "bench/out"

function init(args)
    platforms = {}
    for line in io.lines(out .. "/platforms.txt") do
        platforms[#platforms + 1] = line
    end
    token = io.open(out .. "/token.txt"):read("*l")
    local y, m, d = io.open(out .. "/first_free_day.txt"):read("*l"):match("(%d+)-(%d+)-(%d+)")
    last = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 0 })
    n = 0
    math.randomseed(42 + (id or 0))
end

function request()
    n = n + 1
    local platform = platforms[(n % #platforms) + 1]
    local weeks_back = math.random(1, 150)
    local from = last - weeks_back * 7 * 86400
    local path = string.format("/api/v1/availability?platform_id=%s&from=%s&to=%s", platform,
        os.date("!%Y-%m-%dT%H:%M:%SZ", from), os.date("!%Y-%m-%dT%H:%M:%SZ", from + 7 * 86400))
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

function done(summary, latency, requests)
    for _, p in ipairs({ 50, 90, 99, 99.9 }) do
        io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
    end
    io.write(string.format("errors: %d non-2xx\n", summary.errors.status))
end
