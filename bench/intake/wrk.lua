-- Sends the requests of the file named by REQUESTS in order, split over wrk's threads.
-- The file holds lines "path<TAB>timestamp<TAB>signature<TAB>body" (bodies without tabs/newlines).

local requests = {}
for line in io.lines(os.getenv("REQUESTS")) do
  local path, stamp, signature, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  requests[#requests + 1] = wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Formify-Timestamp"] = stamp,
    ["X-Formify-Signature"] = signature,
  }, body)
end

local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  step = tonumber(os.getenv("THREADS"))
  nxt = id
  answered, mine, bad = 0, 0, 0
  for i = id, #requests, step do mine = mine + 1 end
end

function request()
  -- Past the end of its share a thread starts over: repeats, which the intake must not store twice.
  if not requests[nxt] then nxt = id end
  local r = requests[nxt]
  nxt = nxt + step
  return r
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests_)
  local total_bad = 0
  for _, thread in ipairs(threads) do total_bad = total_bad + thread:get("bad") end
  io.write(string.format("non-2xx %d\n", total_bad))
end
