// The Ed25519 tables' file names (app/key-tables.ts), apart from the other
// device files (app/device-files.ts): the watched storage asks on every
// flash access, so this stays loaded where the rest is a part on Espruino.

function hexDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** An Ed25519 table file (app/key-tables.ts): "tB" or "t" + a kid in hex, then one hex digit. */
export function isTableFile(name: string): boolean {
  if (name.length === 3 && name.substring(0, 2) === "tB" && hexDigits(name.substring(2))) return true;
  return name.length === 18 && name.charAt(0) === "t" && hexDigits(name.substring(1));
}
