-- wrk script for bench/ack: every request is a distinct, pre-signed Slack
-- slash command (the service refuses a signature seen twice: replay
-- protection). wrk's Lua has no HMAC, so bench.py sign-pool writes the pool
-- ("TIMESTAMP SIGNATURE BODY" per line) before the run; thread k of n sends
-- lines k, k+n, k+2n, ... so no two threads share a signature. If a thread
-- runs out it starts again from its first line and counts "wrapped" (those
-- requests are replays, and the figures say so).
--
-- Environment: ACK_POOL (pool file; unset: GET ACK_PATH), ACK_THREADS (wrk -t),
-- ACK_PATH.

local pool_file = os.getenv("ACK_POOL")
if pool_file == "" then
	pool_file = nil
end
local nthreads = tonumber(os.getenv("ACK_THREADS") or "1")
local path = os.getenv("ACK_PATH") or "/slack/infra-search"
local threads = {}
local next_id = 0

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	reqs = {}
	local i = 0
	if pool_file == nil then
		-- No pool: plain GETs of ACK_PATH (the /static-probe comparison).
		reqs[1] = wrk.format("GET", path)
	end
	for line in io.lines(pool_file or "/dev/null") do
		if i % nthreads == id then
			local ts, sig, body = line:match("^(%S+) (%S+) (%S+)$")
			reqs[#reqs + 1] = wrk.format("POST", path, {
				["Content-Type"] = "application/x-www-form-urlencoded",
				["X-Slack-Request-Timestamp"] = ts,
				["X-Slack-Signature"] = sig,
			}, body)
		end
		i = i + 1
	end
	n = 0
	wrapped = 0
	inline = 0
	acked = 0
	busy = 0
	other = 0
end

function request()
	n = n + 1
	if n > #reqs then
		n = 1
		if pool_file ~= nil then
			wrapped = wrapped + 1
		end
	end
	return reqs[n]
end

function response(status, headers, body)
	if body:find("busy with other searches", 1, true) then
		busy = busy + 1
	elseif body:find('"blocks"', 1, true) then
		inline = inline + 1
	elseif status == 200 and body:find('"response_type"', 1, true) then
		acked = acked + 1        -- deferred: the answer goes to response_url
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local t = {inline = 0, acked = 0, busy = 0, other = 0, wrapped = 0, pool = 0}
	for _, th in ipairs(threads) do
		for k, _ in pairs(t) do
			if k ~= "pool" then
				t[k] = t[k] + (th:get(k) or 0)
			end
		end
	end
	local e = summary.errors
	io.write(string.format(
		"ACK requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d " ..
		"err_connect=%d err_read=%d err_write=%d err_timeout=%d http_ge400=%d " ..
		"inline=%d deferred=%d busy=%d other=%d wrapped=%d\n",
		summary.requests, summary.duration, latency:percentile(50),
		latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout,
		e.status, t.inline, t.acked, t.busy, t.other, t.wrapped))
end
