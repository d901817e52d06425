-- NodeMCU's `file` module on plain Lua (io): file.open(name, mode) returns a
-- handle with read(n) / write(s) / close(); file.remove(name).
-- Loaded by stdio-hal.lua, and by a plain `lua5.4 -i file-api.lua` REPL that
-- `pindai flash-lua` can write an image through, as it would on NodeMCU.
file = {
  open = function(name, mode) return io.open(name, mode) end,
  remove = function(name) os.remove(name) end,
}
