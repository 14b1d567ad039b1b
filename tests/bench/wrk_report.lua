-- wrk script for scripts/bench: optional method and JSON body from the
-- environment, and one machine-readable summary line at the end.
--   BENCH_METHOD=POST BENCH_BODY='{"audience":"x"}' wrk -s wrk_report.lua ...
-- Prints: BENCH requests=N duration_us=D rps=R p50_us=.. p99_us=.. errors=E ...
-- (latencies in microseconds; errors = socket errors + HTTP status >= 400).

local method = os.getenv("BENCH_METHOD")
if method ~= nil and method ~= "" then
    wrk.method = method
end
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d mean_us=%.1f " ..
        "max_us=%d errors=%d err_status=%d err_socket=%d\n",
        summary.requests, summary.duration, summary.requests / seconds,
        latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
        e.connect + e.read + e.write + e.timeout + e.status, e.status,
        e.connect + e.read + e.write + e.timeout))
end
