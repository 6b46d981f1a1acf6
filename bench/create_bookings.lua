-- wrk script: each request books a distinct free equipment slot as the bench administrator
-- (every rule runs: opening hours, closures, maintenance, qualification, overlap).
-- Lines of bench/out/slots.txt are taken in turn by the threads; pass the thread count
-- after `--`, e.g. `wrk -t2 ... -s bench/create_bookings.lua -- 2`, and optionally the
-- line to start from (`-- 2 250001`, for a warm-up that leaves the first lines free).
local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

-- The data directory: $BENCH_OUT, bench/out by default.
out = os.getenv("BENCH_OUT") or "bench/out"

function init(args)
    step = tonumber(args[1] or "1")
    slots = {}
    for line in io.lines(out .. "/slots.txt") do
        slots[#slots + 1] = line
    end
    token = io.open(out .. "/token.txt"):read("*l")
    next_line = tonumber(args[2] or "1") + id
    created, conflicts, others = 0, 0, 0
end

function request()
    -- Past the last line the slots come round again, and are answered 409: visible, not fatal.
    local line = slots[(next_line - 1) % #slots + 1]
    next_line = next_line + step
    local equipment, starts, ends = line:match("(%S+) (%S+) (%S+)")
    local body = string.format(
        '{"equipment_id":"%s","starts_at":"%s","ends_at":"%s","group_label":"Charge","learners":[{"status":"company","headcount":1}]}',
        equipment, starts, ends)
    return wrk.format("POST", "/api/v1/bookings",
        { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function response(status, headers, body)
    if status == 201 then
        created = created + 1
    elseif status == 409 then
        conflicts = conflicts + 1
    else
        others = others + 1
        if others <= 3 then
            io.stderr:write(status .. " " .. body .. "\n")
        end
    end
end

function done(summary, latency, requests)
    local c, k, o = 0, 0, 0
    for _, t in ipairs(threads) do
        c = c + t:get("created")
        k = k + t:get("conflicts")
        o = o + t:get("others")
    end
    io.write(string.format("created %d, conflicts %d, other answers %d\n", c, k, o))
    for _, p in ipairs({ 50, 90, 99, 99.9 }) do
        io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
    end
end
