// A Lua string literal of any bytes, in ASCII: what `pindai flash-lua` sends
// line by line, and what the build writes constants of into the Lua natives.

/** A Lua string literal holding exactly these bytes, in ASCII. */
export function luaLiteral(b: Uint8Array): string {
  let s = '"';
  for (const x of b) {
    if (x === 0x22) s += '\\"';
    else if (x === 0x5c) s += "\\\\";
    else if (x >= 0x20 && x < 0x7f) s += String.fromCharCode(x);
    else s += "\\" + String(x).padStart(3, "0"); // \ddd: decimal, always three digits
  }
  return s + '"';
}
