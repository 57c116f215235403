-- wrk script: POST a body read from the file BODY_FILE with the Content-Type CONTENT_TYPE
-- (and Accept ACCEPT when set); prints the same RESULT line as post.lua.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"
local accept = os.getenv("ACCEPT")
if accept and accept ~= "" then wrk.headers["Accept"] = accept end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.status + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
  local e = summary.errors
  io.write(string.format("ERRORS connect=%d read=%d write=%d status=%d timeout=%d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
end
