-- wrk script for `npm run bench:webhooks -- --client wrk`: sends each recorded delivery of the file
-- named by LINEAGE_WRK_DELIVERIES exactly once, one per request, split between wrk's
-- LINEAGE_WRK_THREADS threads. Each answer must be 200 with "accepted":1; anything else is
-- counted, printed, and fails the benchmark.
--
-- wrk runs for a fixed time; the benchmark's clock is each thread's own, from its first delivery
-- sent to its last answered (monotonic, through LuaJIT's FFI), written to
-- LINEAGE_WRK_DONE.<thread> when the thread is done, which tells the benchmark to stop wrk.
--
-- The file: per delivery a line "<delivery id>\t<signature>\t<body length>\n", then the body.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } lineage_timespec;
  int clock_gettime(int clock, lineage_timespec *t);
]]
local function now()
  local t = ffi.new("lineage_timespec")
  ffi.C.clock_gettime(1, t) -- CLOCK_MONOTONIC
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(os.getenv("LINEAGE_WRK_THREADS"))
  local file = assert(io.open(os.getenv("LINEAGE_WRK_DELIVERIES"), "rb"))
  local own, n = {}, 0
  while true do
    local head = file:read("*l")
    if not head then break end
    local id, signature, length = head:match("^([^\t]+)\t([^\t]+)\t(%d+)$")
    local body = file:read(tonumber(length))
    if n % count == index then
      own[#own + 1] = wrk.format("POST", "/v1/webhooks/github", {
        ["Content-Type"] = "application/json",
        ["X-GitHub-Event"] = "deployment_status",
        ["X-GitHub-Delivery"] = id,
        ["X-Hub-Signature-256"] = signature,
      }, body)
    end
    n = n + 1
  end
  file:close()
  -- wrk asks for a request whenever a connection is free, also after the last delivery went out:
  -- those get a path the service answers 404 at once, and their answers are not counted.
  idle = wrk.format("GET", "/lineage-wrk-nothing-left")
  deliveries, sent, answered, refused = own, 0, 0, 0
end

function request()
  -- wrk asks once before it starts sending (to check the script) and drops that request: the
  -- first answer is the idle one, whether or not it is sent.
  if not started then
    started = true
    return idle
  end
  sent = sent + 1
  if sent == 1 then first = now() end
  if sent <= #deliveries then return deliveries[sent] end
  return idle
end

function response(status, headers, body)
  if status == 404 or answered >= #deliveries then return end
  answered = answered + 1
  if status ~= 200 or not body:find('"accepted":1', 1, true) then refused = refused + 1 end
  if answered == #deliveries then
    local done = assert(io.open(os.getenv("LINEAGE_WRK_DONE") .. "." .. index, "w"))
    done:write(string.format("%.6f %.6f %d\n", first, now(), refused))
    done:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local answeredAll, refusedAll = 0, 0
  for _, thread in ipairs(threads) do
    answeredAll = answeredAll + thread:get("answered")
    refusedAll = refusedAll + thread:get("refused")
  end
  io.write(string.format("lineage-wrk answered=%d refused=%d\n", answeredAll, refusedAll))
end
