-- wrk script of the weekday-morning mix (bench/morning.sh): one kind of request per wrk
-- process, paced at a given rate, so that each kind gets its own latency figures (wrk's
-- Lua sees a response's status, never its latency).
--   wrk -t1 -c4 -d30s -s bench/morning.lua http://127.0.0.1:18190 -- <kind> <rate> [first line]
-- kinds: availability, week_view, feed, booking, approval, usage, report, indicators.
-- <rate>: requests a second of this process (over all its connections); [first line]: where
-- the booking, approval and usage kinds start in their lists (a warm-up takes other lines
-- than the measure). The data directory is $BENCH_OUT (bench/out/morning by default).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } morning_timespec;
int clock_gettime(int clock, morning_timespec *ts);
]]
local timespec = ffi.new("morning_timespec")
local function now_ms()
    ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
    return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

out = os.getenv("BENCH_OUT") or "bench/out/morning"

local function lines(name)
    local list = {}
    for line in io.lines(out .. "/" .. name) do
        list[#list + 1] = line
    end
    return list
end

local function first_line(name)
    return io.open(out .. "/" .. name):read("*l")
end

function init(args)
    kind = args[1]
    interval = 1000 / tonumber(args[2])
    position = tonumber(args[3] or "1")
    statuses = {}
    next_at = 0
    n = 0
    math.randomseed(11)
    token = first_line("token.txt")
    school_year = first_line("report_school_year.txt")
    if kind == "availability" or kind == "week_view" or kind == "report" then
        platforms = lines("platforms.txt")
        local y, m, d = first_line("first_free_day.txt"):match("(%d+)-(%d+)-(%d+)")
        last = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
    end
    if kind == "week_view" then
        cookie = first_line("cookie.txt")
    elseif kind == "feed" then
        list = lines("feeds.txt")
    elseif kind == "booking" then
        list = lines("slots.txt")
    elseif kind == "approval" then
        list = lines("pending.txt")
    elseif kind == "usage" then
        list = lines("usage.txt")
    end
end

-- The next request waits for its turn in a schedule of one request every `interval` ms,
-- whichever connection is free; turns missed while every connection was busy are not made
-- up, so a service that cannot keep up shows a rate below the one asked.
function delay()
    local now = now_ms()
    if next_at < now then
        next_at = now
    end
    local wait = next_at - now
    next_at = next_at + interval
    return math.floor(wait + 0.5)
end

local function api(method, path, body)
    local headers = { ["Authorization"] = "Bearer " .. token }
    if body then
        headers["Content-Type"] = "application/json"
    end
    return wrk.format(method, "/api/v1" .. path, headers, body)
end

local function next_in_list()
    -- Past the end the list comes round again: answered 409 then, visible, not fatal.
    local line = list[(position - 1) % #list + 1]
    position = position + 1
    return line
end

function request()
    n = n + 1
    if kind == "availability" then
        local from = last - math.random(1, 150) * 7 * 86400
        return api("GET", string.format("/availability?platform_id=%s&from=%s&to=%s",
            platforms[n % #platforms + 1], os.date("!%Y-%m-%dT00:00:00Z", from),
            os.date("!%Y-%m-%dT00:00:00Z", from + 7 * 86400)))
    elseif kind == "week_view" then
        local day = last - math.random(1, 150) * 7 * 86400
        return wrk.format("GET", string.format("/plateaux/%s?semaine=%s",
                platforms[n % #platforms + 1], os.date("!%G-W%V", day)),
            { ["Cookie"] = "plateaux_session=" .. cookie })
    elseif kind == "feed" then
        return wrk.format("GET", list[n % #list + 1])
    elseif kind == "booking" then
        local equipment, starts, ends = next_in_list():match("(%S+) (%S+) (%S+)")
        return api("POST", "/bookings", string.format(
            '{"equipment_id":"%s","starts_at":"%s","ends_at":"%s","group_label":"Charge","learners":[{"status":"company","headcount":1}]}',
            equipment, starts, ends))
    elseif kind == "approval" then
        return api("POST", "/bookings/" .. next_in_list() .. "/approve")
    elseif kind == "usage" then
        local id, equipment, starts, ends = next_in_list():match("(%S+) (%S+) (%S+) (%S+)")
        return api("PUT", "/bookings/" .. id .. "/usage", string.format(
            '{"actual_start":"%s","actual_end":"%s","learners":[{"status":"apprentice","headcount":1}],"machine_time":[{"equipment_id":"%s","minutes":90}]}',
            starts, ends, equipment))
    elseif kind == "report" then
        -- One platform, one month of the last school year (September to June).
        local first = tonumber(school_year:match("^(%d+)"))
        local m = n % 10 + 9
        local year = first + (m > 12 and 1 or 0)
        m = (m - 1) % 12 + 1
        local days = os.date("!%d", os.time({ year = year, month = m + 1, day = 0, hour = 12 }))
        return api("GET", string.format("/reports/usage?platform_id=%s&from=%04d-%02d-01&to=%04d-%02d-%s",
            platforms[n % #platforms + 1], year, m, year, m, days))
    elseif kind == "indicators" then
        return api("GET", "/reports/indicators?school_year=" .. school_year)
    end
    error("unknown kind " .. tostring(kind))
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status >= 500 or (status >= 400 and status ~= 409) then
        bad = (bad or 0) + 1
        if bad <= 3 then
            io.stderr:write(kind .. ": " .. status .. " " .. body:sub(1, 300):gsub("%s+", " ") .. "\n")
        end
    end
end

function done(summary, latency, requests)
    local all, kind = {}, threads[1]:get("kind")
    for _, t in ipairs(threads) do
        for k, v in pairs(t:get("statuses")) do
            all[k] = (all[k] or 0) + v
        end
    end
    local parts = {}
    for k, v in pairs(all) do
        parts[#parts + 1] = k .. "=" .. v
    end
    table.sort(parts)
    io.write(string.format("kind: %s\n", kind))
    io.write(string.format("requests: %d in %.2f s\n", summary.requests, summary.duration / 1e6))
    io.write(string.format("statuses: %s\n", table.concat(parts, " ")))
    io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n",
        summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
    for _, p in ipairs({ 50, 90, 99 }) do
        io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
    end
    io.write(string.format("latency max: %.2f ms\n", latency.max / 1000))
end
