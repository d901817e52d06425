// A scripted device session for the conformance suite: the device assembly
// (firmware/targets/device.ts: app, scan queue, card poller) on
// in-memory HALs. Scan-engine lines and PN532 replies go in; the screens,
// the LED/buzzer signals and the audit log come out as a transcript that
// must be identical on Node, Lua and Espruino.
//
// script: events separated by ";"   time T | keyset HEX | scan TEXT | card | wait MS | lang id|en | log
// pn532:  "hostFrameHex=replyHex" pairs separated by ";" (recorded from the emulator on Node)
import { type Bytes, fromAscii, fromHex, toHex } from "../../firmware/core/bytes";
import { startDevice } from "../../firmware/targets/device";
import { ManualRtc, MemoryStorage, ScriptedSerial, SeededRandom, Transcript, VirtualTimers } from "../../firmware/targets/memory/hal";

function split(s: string, sep: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s.charCodeAt(i) === sep) {
      if (i > start) out.push(s.substring(start, i));
      start = i + 1;
    }
  }
  return out;
}

export function session(rootKid: string, rootPub: string, script: string, pn532: string): string {
  const hostFrames: string[] = [];
  const replies: string[] = [];
  const pairs = split(pn532, 59);
  for (let i = 0; i < pairs.length; i++) {
    const eq = pairs[i].indexOf("=");
    hostFrames.push(pairs[i].substring(0, eq));
    replies.push(pairs[i].substring(eq + 1));
  }
  // The conversation is replayed in order: the same frame may get another answer later.
  let pos = 0;
  return sessionWith(rootKid, rootPub, script, (w) => {
    const h = toHex(w);
    for (let i = pos; i < hostFrames.length; i++) {
      if (hostFrames[i] === h) {
        pos = i + 1;
        return fromHex(replies[i]);
      }
    }
    return undefined; // an unknown frame: the driver times out, as with a silent reader
  });
}

/** The transcript on one line (the Lua test driver reads one line per call). */
export function sessionLines(rootKid: string, rootPub: string, script: string, pn532: string): string {
  const t = session(rootKid, rootPub, script, pn532);
  let s = "";
  for (let i = 0; i < t.length; i++) s += t.charCodeAt(i) === 10 ? " || " : t.charAt(i);
  return s;
}

/** The same session with any PN532 responder (Node records one from the emulator). */
export function sessionWith(rootKid: string, rootPub: string, script: string, respond: (written: Bytes) => Bytes | undefined): string {
  const out = new Transcript();
  const timers = new VirtualTimers();
  const rtc = new ManualRtc();
  const random = new SeededRandom(20261123);
  const kid = fromHex(rootKid);
  const pub = fromHex(rootPub);
  if (kid === undefined || pub === undefined) return "bad root";
  const scanner = new ScriptedSerial(() => undefined);
  // The card is read when the script says (no cardPollMs: no polling of its own).
  const device = startDevice(
    { display: out, indicator: out, storage: new MemoryStorage(), rtc, timers, random, scanEngine: scanner, reader: new ScriptedSerial(respond) },
    {
      app: { roots: [{ kid, publicKey: pub }], buildTime: 1767225600, version: "session", lang: "en", clearAfterMs: 5000 },
      readerTiming: { ackTimeoutMs: 20, replyTimeoutMs: 50, retries: 1 },
    },
  );
  const app = device.app;
  const poller = device.poller!;
  const events = split(script, 59);
  for (let e = 0; e < events.length; e++) {
    const ev = events[e];
    const sp = ev.indexOf(" ");
    const cmd = sp < 0 ? ev : ev.substring(0, sp);
    const arg = sp < 0 ? "" : ev.substring(sp + 1);
    out.lines.push("> " + cmd);
    if (cmd === "time") app.setTime(Math.floor(Number(arg)), kid, true); // as a root-signed TIME would (app/admin.ts checks the signature)
    else if (cmd === "keyset") {
      const b = fromHex(arg);
      const r = b === undefined ? undefined : app.installKeyset(b);
      out.lines.push(r === undefined ? "keyset bad hex" : r.ok ? "keyset " + r.outcome + " " + r.version : "keyset " + r.reason);
    } else if (cmd === "scan") {
      scanner.feed(fromAscii(arg + "\r\n"));
      timers.advance(0); // the scan queue verifies on the next turn of the event loop
    } else if (cmd === "card") {
      poller.poll();
      timers.advance(1000); // every exchange is bounded: a second covers all retries
    } else if (cmd === "wait") timers.advance(Math.floor(Number(arg)));
    else if (cmd === "lang") app.configure(arg === "id" ? "id" : "en", app.displayMs());
    else if (cmd === "log") {
      const entries = app.audit.entries();
      for (let i = 0; i < entries.length; i++) {
        const x = entries[i];
        out.lines.push("log " + x.seq + " " + x.time + " " + x.verdict + " " + x.source + " " + x.kid + " " + x.nikHash + " " + x.warnings);
      }
    }
  }
  let s = "";
  for (let i = 0; i < out.lines.length; i++) s += (i === 0 ? "" : "\n") + out.lines[i];
  return s;
}
