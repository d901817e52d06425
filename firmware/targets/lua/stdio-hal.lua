-- The NodeMCU-style HAL contract of firmware/targets/lua/main.ts, on plain
-- Lua 5.3/5.4 with stdin/stdout, for tests and Linux-class devices.
-- Usage: lua5.4 stdio-hal.lua dist/lua/pindai.lua < commands
-- Commands, one per line:
--   U <id> <text>   bytes <text> then CR LF arrive on uart <id> (a scan engine line)
--   A <line>        a service-line command (VERSION, TIME, KEYSET, LOG, LANG, STATUS)
--   W <ms>          let <ms> milliseconds pass (timers fire, the RTC moves)
-- The device's screen lines come out on stdout, service replies as "< ...".

local now_us = 0
local alarms = {}
local handlers = {}

uart = {
  setup = function(id, baud, bits, parity, stop, echo) end,
  on = function(id, event, n, cb, run) if event == "data" then handlers[id] = cb end end,
  write = function(id, data) io.write(string.format("uart%d> %s\n", id, (data:gsub("[^%g ]", ".")))) end,
}

dofile((arg[0]:match("(.*/)") or "./") .. "file-api.lua")

tmr = {
  ALARM_SINGLE = 0,
  now = function() return now_us end,
  create = function()
    local t = {}
    function t:alarm(ms, mode, cb) self.at = now_us + ms * 1000; self.cb = cb; alarms[#alarms + 1] = self; return true end
    function t:unregister() for i, a in ipairs(alarms) do if a == self then table.remove(alarms, i); return end end end
    return t
  end,
}

gpio = { OUTPUT = 1, HIGH = 1, LOW = 0, mode = function() end, write = function() end }

local rtc = 0
rtctime = { get = function() return rtc end, set = function(s) rtc = s end }

-- node.random is a hardware RNG on NodeMCU: here the kernel's (the device
-- secret and card challenges come from it; a time-seeded PRNG is guessable).
local urandom = io.open("/dev/urandom", "rb")
math.randomseed(os.time())
node = {
  random = function(lo, hi)
    if urandom == nil then return math.random(lo, hi) end
    local b1, b2, b3 = urandom:read(3):byte(1, 3)
    return lo + (b1 * 65536 + b2 * 256 + b3) % (hi - lo + 1)
  end,
}

local function advance(ms)
  local stop = now_us + ms * 1000
  while true do
    local first
    for _, a in ipairs(alarms) do if a.at <= stop and (first == nil or a.at < first.at) then first = a end end
    if first == nil then break end
    first:unregister()
    if first.at > now_us then rtc = rtc + (first.at - now_us) // 1000000; now_us = first.at end
    first.cb()
  end
  rtc = rtc + (stop - now_us) // 1000000
  now_us = stop
end

local image = dofile(arg[1])
for line in io.lines() do
  local cmd, rest = line:match("^(%u) ?(.*)$")
  if cmd == "U" then
    local id, text = rest:match("^(%d+) (.*)$")
    local h = handlers[tonumber(id)]
    if h then h(text .. "\r\n") end
  elseif cmd == "A" then
    local reply = image.admin(rest)
    for i = 1, #reply do print("< " .. reply[i]) end
  elseif cmd == "W" then
    advance(tonumber(rest))
  end
end
