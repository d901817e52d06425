-- NodeMCU's `file` module on plain Lua (io): file.open(name, mode) returns a
-- handle with read(n) / write(s) / close(); file.remove(name); file.rename(old, new)
-- (true when renamed; false where `new` exists, as on NodeMCU's SPIFFS).
-- Loaded by stdio-hal.lua, and by a plain `lua5.4 -i file-api.lua` REPL that
-- `pindai flash-lua` can write an image through, as it would on NodeMCU.
file = {
  open = function(name, mode) return io.open(name, mode) end,
  remove = function(name) os.remove(name) end,
  rename = function(old, new)
    local f = io.open(new, "rb")
    if f then f:close() return false end
    return os.rename(old, new) == true
  end,
}
