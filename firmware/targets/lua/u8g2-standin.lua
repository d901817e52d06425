-- A stand-in for NodeMCU's u8g2 and i2c modules on plain Lua (stdio-hal.lua
-- loads it): the display object records what is drawn, and each sendBuffer
-- writes the frame as lines on `u8g2_out` (default stdout):
--   u8g2 B x y w h colour        a box (drawBox)
--   u8g2 S x y font colour text  a string, top-left at x,y (setFontPosTop)
--   u8g2 F n                     end of a frame of n draws
--   screen> text | text | ...    the frame's texts, for tests that read words
-- Fonts are fixed-width like the u8g2 fonts they stand for, with their
-- nominal metrics: font_6x10_tf 6 wide, ascent 7, descent -2; font_7x14B_tf
-- 7 wide, 10 / -3; font_10x20_tf 10 wide, 14 / -4. A string is as wide as
-- its UTF-8 characters times the width. (No glyphs: tests read the texts.)
u8g2_out = u8g2_out or io.stdout

local function chars(s)
  local n = 0
  for i = 1, #s do
    local b = s:byte(i)
    if b < 0x80 or b >= 0xc0 then n = n + 1 end
  end
  return n
end

local function display()
  local d = { font = nil, colour = 1, ops = {}, texts = {} }
  function d:clearBuffer() self.ops = {}; self.texts = {} end
  function d:setFont(f) self.font = f end
  function d:setFontPosTop() end
  function d:setDrawColor(c) self.colour = c end
  function d:drawBox(x, y, w, h)
    self.ops[#self.ops + 1] = string.format("u8g2 B %d %d %d %d %d", x, y, w, h, self.colour)
  end
  function d:drawStr(x, y, s)
    self.ops[#self.ops + 1] = string.format("u8g2 S %d %d %s %d %s", x, y, self.font.name, self.colour, s)
    self.texts[#self.texts + 1] = s
  end
  function d:getStrWidth(s) return chars(s) * self.font.w end
  function d:getAscent() return self.font.ascent end
  function d:getDescent() return self.font.descent end
  function d:sendBuffer()
    for _, l in ipairs(self.ops) do u8g2_out:write(l, "\n") end
    u8g2_out:write("u8g2 F ", #self.ops, "\n")
    u8g2_out:write("screen> ", table.concat(self.texts, " | "), "\n")
  end
  return d
end

u8g2 = {
  font_6x10_tf = { name = "6x10", w = 6, ascent = 7, descent = -2 },
  font_7x14B_tf = { name = "7x14B", w = 7, ascent = 10, descent = -3 },
  font_10x20_tf = { name = "10x20", w = 10, ascent = 14, descent = -4 },
  ssd1306_i2c_128x64_noname = function(id, addr) return display() end,
}
i2c = { FAST = 400000, setup = function(id, sda, scl, speed) end }
