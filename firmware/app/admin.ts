// The agency's service line: a small text protocol on a serial port (one
// command per line, one or more reply lines, the last starting OK or ERR).
//   VERSION            -> OK pindai <version>
//   TIME <unix>        -> OK            sets the RTC (the clock becomes trusted)
//   KEYSET <hex>       -> OK INSTALLED <version> | OK SAME <version> | ERR <reason>
//   LOG                -> LOG <seq> <time> <verdict> <source> <kid> <nikhash> <warnings> ... then OK <count>
//   LANG id|en         -> OK
//   STATUS             -> OK <keyset version or -> <clock trusted 0/1> <warnings>
// Physical access to the service port is the authorisation.
import { fromHex } from "../core/bytes";
import type { VerifierApp } from "./verifier";

export const MAX_ADMIN_LINE = 40000; // a key set in hex fits

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Handle one command line; returns the reply lines. */
export function adminCommand(app: VerifierApp, line: string): string[] {
  let cmd = line;
  let arg = "";
  const sp = line.indexOf(" ");
  if (sp >= 0) {
    cmd = line.substring(0, sp);
    arg = line.substring(sp + 1);
  }
  if (cmd === "VERSION") return ["OK pindai " + app.config.version];
  if (cmd === "TIME") {
    if (!isDigits(arg)) return ["ERR TIME takes unix seconds"];
    app.setTime(Math.floor(Number(arg)));
    return ["OK"];
  }
  if (cmd === "KEYSET") {
    const data = fromHex(arg);
    if (data === undefined || data.length === 0) return ["ERR KEYSET takes the signed key set in hex"];
    const r = app.installKeyset(data);
    return r.ok ? ["OK " + r.outcome + " " + r.version] : ["ERR " + r.reason];
  }
  if (cmd === "LOG") {
    const out: string[] = [];
    const entries = app.audit.entries();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      out.push("LOG " + e.seq + " " + e.time + " " + e.verdict + " " + (e.source === 1 ? "card" : "qr") + " " + e.kid + " " + e.nikHash + " " + e.warnings);
    }
    out.push("OK " + entries.length);
    return out;
  }
  if (cmd === "LANG") {
    if (arg !== "id" && arg !== "en") return ["ERR LANG takes id or en"];
    app.setLang(arg);
    return ["OK"];
  }
  if (cmd === "STATUS") {
    const ks = app.keysets.current;
    const w = app.deviceWarnings();
    return ["OK " + (ks === undefined ? "-" : String(ks.version)) + " " + (w.indexOf("CLOCK_NOT_TRUSTED") >= 0 ? "0" : "1") + " " + (w.length > 0 ? w.join(",") : "-")];
  }
  return ["ERR unknown command " + cmd];
}
