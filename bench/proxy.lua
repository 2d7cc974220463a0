-- proxy.lua - wrk script of `make bench`: one fixed GET, through a proxy
-- (absolute-form target) or straight to the origin (origin-form).
--
-- Arguments after wrk's "--": TARGET HOST CONNECTION
--   TARGET      "http://127.0.0.1:8000/1k" for a proxy, "/1k" for the origin
--   HOST        the origin's "host:port", sent as the Host header
--   CONNECTION  "close" for a new connection per request, "keep-alive"
-- At the end it prints one line, "BENCH key=value ...", that bench reads.

function init(args)
   wrk.path = args[1]
   wrk.headers["Host"] = args[2]
   wrk.headers["Connection"] = args[3]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d bytes=%d connect=%d read=%d " ..
      "write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
      summary.requests, summary.duration, summary.bytes, e.connect, e.read,
      e.write, e.status, e.timeout, latency:percentile(50),
      latency:percentile(99)))
end
