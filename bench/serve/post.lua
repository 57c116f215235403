-- wrk script: POST a predict body (set by run.sh through the BODY environment variable).
wrk.method = "POST"
wrk.body = os.getenv("BODY") or '{"instances": [1.0, 2.0, 5.0]}'
wrk.headers["Content-Type"] = "application/json"
-- AUTH (bench/serve/auth.sh): an Authorization header value, e.g. "Bearer <token>".
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

-- Print latency percentiles in a machine-readable line after the run.
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.status + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
