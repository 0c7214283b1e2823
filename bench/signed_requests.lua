-- wrk script for bench/webhook.py: replays pre-signed Twilio webhooks, one MessageSid each.
--
-- wrk cannot compute HMAC-SHA1, so bench/webhook.py writes the requests beforehand, one a line:
-- "<X-Twilio-Signature>\t<urlencoded form>". Usage: wrk ... -s signed_requests.lua URL -- FILE
-- done() prints one "RESULT key=value ..." line with exact figures (latencies in microseconds)
-- and how often the list was wrapped (a wrapped list repeats MessageSids, which Puente ignores).

local prepared = {}
local position = 0
wrapped = 0

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   for line in io.lines(args[1]) do
      local tab = line:find("\t", 1, true)
      prepared[#prepared + 1] = wrk.format("POST", nil, {
         ["Content-Type"] = "application/x-www-form-urlencoded",
         ["User-Agent"] = "TwilioProxy/1.1",
         ["X-Twilio-Signature"] = line:sub(1, tab - 1),
      }, line:sub(tab + 1))
   end
end

function request()
   position = position + 1
   if position > #prepared then
      position = 1
      wrapped = wrapped + 1
   end
   return prepared[position]
end

function done(summary, latency, requests)
   local times_wrapped = 0
   for _, thread in ipairs(threads) do
      times_wrapped = times_wrapped + thread:get("wrapped")
   end
   local errors = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "status_errors=%d socket_errors=%d timeouts=%d wrapped=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, errors.status,
      errors.connect + errors.read + errors.write, errors.timeout, times_wrapped))
end
