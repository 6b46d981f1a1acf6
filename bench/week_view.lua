-- wrk script: the web page of one platform's week (/plateaux/{id}?semaine=…), as the campus
-- director sees it (every booking shown), platforms in turn and weeks drawn at random over
-- the generated three years. The browser session's cookie is in $BENCH_OUT/cookie.txt.
out = os.getenv("BENCH_OUT") or "bench/out"

function init(args)
    platforms = {}
    for line in io.lines(out .. "/platforms.txt") do
        platforms[#platforms + 1] = line
    end
    cookie = io.open(out .. "/cookie.txt"):read("*l")
    local y, m, d = io.open(out .. "/first_free_day.txt"):read("*l"):match("(%d+)-(%d+)-(%d+)")
    last = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
    n = 0
    math.randomseed(7 + (id or 0))
end

function request()
    n = n + 1
    local platform = platforms[(n % #platforms) + 1]
    local day = last - math.random(1, 150) * 7 * 86400
    local path = string.format("/plateaux/%s?semaine=%s", platform, os.date("!%G-W%V", day))
    return wrk.format("GET", path, { ["Cookie"] = "plateaux_session=" .. cookie })
end

function done(summary, latency, requests)
    for _, p in ipairs({ 50, 90, 99, 99.9 }) do
        io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
    end
    io.write(string.format("errors: %d non-2xx\n", summary.errors.status))
end
