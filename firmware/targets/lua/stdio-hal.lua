-- The NodeMCU-style HAL contract of firmware/targets/lua/main.ts, on plain
-- Lua 5.3/5.4 with stdin/stdout, for tests and Linux-class devices.
--
--   lua5.4 stdio-hal.lua [--flash DIR] [--rtc SECONDS] [--cut N] IMAGE < commands
--     commands, one per line:
--       U <id> <text>   bytes <text> then CR LF arrive on uart <id> (1: the scan engine)
--       A <line>        an admin-line command (VERSION, ID, NONCE, STATUS, KEYSET hex, ADMIN hex)
--       W <ms>          let <ms> milliseconds pass (timers fire, the RTC moves)
--       C <n>           the power goes after <n> more bytes are written to flash: the write
--                       in progress keeps its first bytes, nothing after it runs or shows
--       R               power on again: the image boots anew on the same flash (the RTC,
--                       a battery clock, keeps its time)
--     the device's screens come out on stdout, admin replies as "< ..."; a uart set
--     up with its pins (ESP32) as "uart<id>: <baud> baud, tx <pin>, rx <pin>";
--     the display (u8g2-standin.lua) writes each frame as "u8g2 ..." lines and
--     its texts as "screen> ...".
--
--   lua5.4 stdio-hal.lua --admin-stdio [--flash DIR] IMAGE
--     stdin and stdout ARE the admin line (uart 0), as on a device: put it on a
--     pty with socat (socat PTY,link=/tmp/dev,raw,echo=0 EXEC:"lua5.4 stdio-hal.lua --admin-stdio IMAGE");
--     screens go to stderr, timers run on wall time.
--
-- Flash files are kept in DIR (default: the working directory). --rtc starts the
-- RTC at SECONDS (a battery clock that kept its time; default 0: never set).
-- --cut N: the power goes after N bytes written from the start, the first boot's included (as C N).
local admin_stdio = false
local flash_dir = nil
local rtc_start = 0
local cut_at = nil
local image_path = nil
local i = 1
while i <= #arg do
  if arg[i] == "--admin-stdio" then admin_stdio = true
  elseif arg[i] == "--flash" then i = i + 1; flash_dir = arg[i]
  elseif arg[i] == "--rtc" then i = i + 1; rtc_start = tonumber(arg[i]) or 0
  elseif arg[i] == "--cut" then i = i + 1; cut_at = tonumber(arg[i])
  else image_path = arg[i] end
  i = i + 1
end
if image_path == nil then
  io.stderr:write("usage: lua stdio-hal.lua [--admin-stdio] [--flash DIR] IMAGE\n")
  os.exit(2)
end

io.stdout:setvbuf("line") -- a host on a pipe sees each line as it is printed
local now_us = 0
local alarms = {}
local handlers = {}
local out = admin_stdio and io.stderr or io.stdout

uart = {
  -- NodeMCU for ESP32 takes a uart other than the console with its pins, tx and rx required
  -- (the ESP8266 form passes an echo flag): the pins given are printed.
  setup = function(id, baud, bits, parity, stop, echo_or_pins)
    if type(echo_or_pins) == "table" then
      local tx, rx = echo_or_pins.tx, echo_or_pins.rx
      if id == 0 or math.type(tx) ~= "integer" or math.type(rx) ~= "integer" then
        error("uart.setup: a pins table needs whole tx and rx, on a uart other than the console")
      end
      out:write(string.format("uart%d: %d baud, tx %d, rx %d\n", id, baud, tx, rx))
    end
  end,
  on = function(id, event, n, cb, run) if event == "data" then handlers[id] = cb end end,
  write = function(id, data)
    if admin_stdio and id == 0 then io.stdout:write(data); io.stdout:flush()
    else out:write(string.format("uart%d> %s\n", id, (data:gsub("[^%g ]", ".")))) end
  end,
}

dofile((arg[0]:match("(.*/)") or "./") .. "file-api.lua")
u8g2_out = out -- the display's frames, beside the screens printed
dofile((arg[0]:match("(.*/)") or "./") .. "u8g2-standin.lua")
if flash_dir ~= nil then
  local open, remove = file.open, file.remove
  file.open = function(name, mode) return open(flash_dir .. "/" .. name, mode) end
  file.remove = function(name) return remove(flash_dir .. "/" .. name) end
end

-- Power cuts (C, R): bytes that may still be written before the power goes.
local budget = cut_at
local powered = true
do
  local open, remove = file.open, file.remove
  file.open = function(name, mode)
    if not powered then return nil end
    local f = open(name, mode)
    if f == nil then return nil end
    return {
      read = function(_, n) return f:read(n) end,
      seek = function(_, whence, off) return f:seek(whence, off) end,
      close = function() f:close() end,
      write = function(_, s)
        if not powered then return false end
        if budget ~= nil and #s > budget then
          f:write(s:sub(1, budget)); f:close()
          budget = 0; powered = false
          error("power cut")
        end
        if budget ~= nil then budget = budget - #s end
        return f:write(s)
      end,
    }
  end
  file.remove = function(name) if powered then remove(name) end end
end

tmr = {
  ALARM_SINGLE = 0,
  now = function() return now_us end,
  create = function()
    local t = {}
    function t:alarm(ms, mode, cb) self.at = now_us + ms * 1000; self.cb = cb; alarms[#alarms + 1] = self; return true end
    function t:unregister() for k, a in ipairs(alarms) do if a == self then table.remove(alarms, k); return end end end
    return t
  end,
}

gpio = { OUTPUT = 1, HIGH = 1, LOW = 0, mode = function() end, write = function() end }

local rtc = rtc_start
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
    if powered then
      local ok, e = pcall(first.cb)
      if not ok and powered then error(e, 0) end
    end
  end
  rtc = rtc + (stop - now_us) // 1000000
  now_us = stop
end

-- print() is the device's screen (dark once the power is gone)
print = function(...) if not powered then return end local t = {} for k = 1, select("#", ...) do t[#t + 1] = tostring(select(k, ...)) end out:write(table.concat(t, "\t") .. "\n") end

-- The first boot may meet the power cut of --cut: the device is then dark until R.
local booted, image = pcall(dofile, image_path)
if not booted then
  if powered then error(image, 0) end
  image = nil
end
if admin_stdio then
  local last = os.time()
  for line in io.lines() do
    local t = os.time()
    advance((t - last) * 1000)
    last = t
    local h = handlers[0]
    if h then h(line .. "\n") end
  end
  os.exit(0)
end
for line in io.lines() do
  local cmd, rest = line:match("^(%u) ?(.*)$")
  if cmd == "U" then
    local id, text = rest:match("^(%d+) (.*)$")
    local h = handlers[tonumber(id)]
    if h and powered then
      local ok, e = pcall(h, text .. "\r\n")
      if not ok and powered then error(e, 0) end
    end
  elseif cmd == "A" then
    if powered then
      local ok, r = pcall(image.admin, rest)
      if ok then print("< " .. r) elseif powered then error(r, 0) end
    end
  elseif cmd == "C" then
    budget = tonumber(rest)
  elseif cmd == "R" then
    alarms, handlers, budget, powered = {}, {}, nil, true
    image = dofile(image_path)
  elseif cmd == "W" then
    advance(tonumber(rest))
  elseif line ~= "" then
    io.stderr:write("stdio-hal: ignored \"" .. line:sub(1, 40) .. "\": lines are U <id> <text>, A <admin line>, W <ms>, C <n> or R\n")
  end
end
