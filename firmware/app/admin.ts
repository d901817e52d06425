// The agency's admin line (docs/SPEC.md section 6): one command per line,
// exactly one reply line, "OK ..." or "ERR <CODE> <words>".
//
//   VERSION | PING token | ID | NONCE | STATUS [challenge] | KEYSET <hex> [challenge]   unsigned
//   ADMIN <COSE_Sign1 hex>                                                        signed
//
// Unsigned commands change nothing but the key set (which carries its own
// root signature) and read nothing personal. Everything else is an ADMIN
// command: a COSE_Sign1 by a root of this firmware or a key set key with
// usage 4, naming this device's id and the nonce it handed out last (one use,
// two minutes), so a recorded command works neither twice nor elsewhere.
// Every answer that reports a change carries a signature by the device key
// over the request's nonce (or KEYSET's challenge) and the STATUS after the
// change: a relay cannot answer OK for a device. Unsigned requests that cost a
// signature operation share a budget per window (ERR BUSY beyond it).
import { type Bytes, alloc, concat, equal, fromHex, toHex } from "../core/bytes";
import { type CborItem, CBOR, cborDecode, encodeBytes, encodeHead, encodeInt, encodeText, isKind, mapBytes, mapGet, mapText, mapUint } from "../core/cbor";
import { COSE_ALG_EDDSA, decodeSign1, sigStructure, verifySign1 } from "../core/cose";
import { type RootKey, UsageBits, findKey, isRevoked } from "../core/keyset";
import { verdictIndex } from "../core/verdict";
import { deviceWarnings } from "../core/outcome";
import { LANGS, isLang } from "./i18n";
import {
  ANSWER, CMD, CONFIG, LOG, LOG_PAGE, MAX_DISPLAY_MS, MAX_TIME, MIN_DISPLAY_MS, MIN_TIME, NONCE_BYTES, NONCE_LIFETIME_MS, RESULT, SIGNATURE_BUDGET,
  SIGNATURE_WINDOW_MS, STATUS,
} from "./admin-protocol";
import type { VerifierApp } from "./verifier";
import { encodeFrame } from "./layout-cbor";

/** What a target can add: UNLOCK (Espruino: the console back on the admin line until reboot). */
export interface AdminHooks {
  unlock?: () => void;
}

function err(code: string, words: string): string {
  return "ERR " + code + " " + words;
}

/** CBOR map from alternating integer keys and encoded values. */
function cborMap(keys: number[], values: Bytes[]): Bytes {
  const parts: Bytes[] = [encodeHead(5, keys.length)];
  for (let i = 0; i < keys.length; i++) {
    parts.push(encodeInt(keys[i]));
    parts.push(values[i]);
  }
  return concat(parts);
}

/** A challenge of 8 to 64 bytes in hex; undefined when it is not one. */
function challengeOf(h: string): Bytes | undefined {
  const c = fromHex(h);
  return c === undefined || c.length < 8 || c.length > 64 ? undefined : c;
}

function cborArray(items: Bytes[]): Bytes {
  return concat([encodeHead(4, items.length), concat(items)]);
}

interface Signed {
  name: string;
  arg: CborItem | undefined;
  kid: Bytes;
  byRoot: boolean;
  nonce: Bytes;
}

export class AdminService {
  private nonce: Bytes | undefined = undefined;
  private nonceAt = 0;
  /** Signature operations spent on unsigned requests in the window that began at budgetAt. */
  private spent = 0;
  private budgetAt = 0;

  constructor(
    private readonly app: VerifierApp,
    private readonly hooks: AdminHooks = {},
  ) {}

  /** One line in, one line out. */
  handle(line: string): string {
    let cmd = line;
    let arg = "";
    const sp = line.indexOf(" ");
    if (sp >= 0) cmd = line.substring(0, sp);
    // KEYSET's hex is read from the line itself: no copy of it beside the line (a Pico's RAM).
    if (cmd === "KEYSET") return this.keyset(line, sp >= 0 ? sp + 1 : line.length);
    if (sp >= 0) arg = line.substring(sp + 1);
    const app = this.app;
    if (cmd === "VERSION") return "OK pindai " + app.config.version;
    // PING <token>: lets a host find where its own replies begin on a line with old output.
    if (cmd === "PING") return "OK PONG " + arg.substring(0, 32);
    if (cmd === "ID") return "OK " + toHex(app.identity.id) + " " + toHex(app.identity.publicKey);
    if (cmd === "NONCE") {
      this.nonce = app.random.bytes(NONCE_BYTES);
      this.nonceAt = app.timers.millis();
      return "OK " + toHex(this.nonce);
    }
    if (cmd === "STATUS") return this.status(arg);
    if (cmd === "ADMIN") {
      const s = this.verify(arg);
      if (typeof s === "string") return s;
      return this.run(s);
    }
    if (cmd === "TIME" || cmd === "LANG" || cmd === "LOG" || cmd === "WIPE" || cmd === "CONFIG" || cmd === "LOGCLEAR" || cmd === "UNLOCK" || cmd === "SCREEN") {
      return err("SIGNATURE_REQUIRED", cmd + " is an ADMIN command: sign it (pindai device)");
    }
    return err("UNKNOWN_COMMAND", "unknown command " + cmd);
  }

  /**
   * Spend n signature operations of the unsigned budget; the ERR BUSY line when
   * the window's budget is spent (the window is on the device's millisecond timer).
   */
  private charge(n: number): string | undefined {
    const now = this.app.timers.millis();
    if (now - this.budgetAt >= SIGNATURE_WINDOW_MS || now < this.budgetAt) {
      this.budgetAt = now;
      this.spent = 0;
    }
    if (this.spent + n > SIGNATURE_BUDGET) {
      const wait = Math.floor((this.budgetAt + SIGNATURE_WINDOW_MS - now + 999) / 1000);
      return err("BUSY", "try again in " + wait + " s (at most " + SIGNATURE_BUDGET + " signature operations for unsigned requests per " + Math.floor(SIGNATURE_WINDOW_MS / 1000) + " s)");
    }
    this.spent += n;
    return undefined;
  }

  /** Work that proved to be authorised (a verified command, a new key set) costs the budget nothing. */
  private refund(n: number): void {
    this.spent = this.spent > n ? this.spent - n : 0;
  }

  /** KEYSET <hex> [challenge], its arguments from `line[from]` on: with a challenge the answer is signed (kind KEYSET). */
  private keyset(line: string, from: number): string {
    let sp = from;
    while (sp < line.length && line.charCodeAt(sp) !== 32) sp++;
    const data = fromHex(line, from, sp);
    if (data === undefined || data.length === 0) return err("BAD_ARGUMENT", "KEYSET takes the signed key set in hex");
    let challenge: Bytes | undefined = undefined;
    if (sp < line.length) {
      challenge = challengeOf(line.substring(sp + 1));
      if (challenge === undefined) return err("BAD_ARGUMENT", "KEYSET's challenge is 8 to 64 bytes in hex");
    }
    const cost = challenge === undefined ? 1 : 2;
    const busy = this.charge(cost);
    if (busy !== undefined) return busy;
    const r = this.app.installKeyset(data);
    if (!r.ok) return "ERR " + r.reason;
    if (r.outcome === "INSTALLED") this.refund(cost); // a new root-signed set: not a flood
    const words = r.outcome + " " + r.version;
    return challenge === undefined ? "OK " + words : this.changed(challenge, "KEYSET", words);
  }

  /** STATUS: plain words, or with a challenge an answer signed by the device key. */
  private status(challengeHex: string): string {
    const app = this.app;
    const ks = app.keysets.current;
    const t = app.time();
    const w = deviceWarnings(ks, t);
    const floor = app.floor();
    if (challengeHex === "") {
      return "OK " + (ks === undefined ? "-" : String(ks.version)) + " " + (t.trusted ? "1" : "0") + " " + (w.length > 0 ? w.join(",") : "-") + " " + t.now + " " + floor;
    }
    const challenge = challengeOf(challengeHex);
    if (challenge === undefined) return err("BAD_ARGUMENT", "STATUS takes a challenge of 8 to 64 bytes in hex");
    const busy = this.charge(1);
    if (busy !== undefined) return busy;
    return "OK " + this.signedAnswer(challenge, "STATUS", this.statusBody());
  }

  /** The STATUS body (SPEC 6.5). */
  private statusBody(): Bytes {
    const app = this.app;
    const ks = app.keysets.current;
    const t = app.time();
    const w = deviceWarnings(ks, t);
    const warnings: Bytes[] = [];
    for (let i = 0; i < w.length; i++) warnings.push(encodeText(w[i]));
    return cborMap(
      [STATUS.VERSION, STATUS.KEYSET, STATUS.RTC, STATUS.TRUSTED, STATUS.FLOOR, STATUS.WARNINGS, STATUS.LOG_COUNT, STATUS.LOG_LAST, STATUS.LANG, STATUS.DISPLAY_MS],
      [
        encodeText(app.config.version),
        encodeInt(ks === undefined ? 0 : ks.version),
        encodeInt(t.now),
        encodeInt(t.trusted ? 1 : 0),
        encodeInt(app.floor()),
        cborArray(warnings),
        encodeInt(app.audit.logCount()),
        encodeInt(app.audit.lastSeq()),
        encodeText(app.lang),
        encodeInt(app.displayMs()),
      ],
    );
  }

  /** A change's reply: `OK <words> <signed answer>` whose body holds the words and the STATUS after the change. */
  private changed(challenge: Bytes, kind: string, words: string): string {
    return "OK " + words + " " + this.signedAnswer(challenge, kind, cborMap([RESULT.WORDS, RESULT.STATUS], [encodeText(words), this.statusBody()]));
  }

  /** A COSE_Sign1 by the device key over {device, challenge, kind, body}, in hex. */
  private signedAnswer(challenge: Bytes, kind: string, body: Bytes): string {
    const id = this.app.identity;
    const payload = cborMap([ANSWER.DEVICE, ANSWER.CHALLENGE, ANSWER.KIND, ANSWER.BODY], [encodeBytes(id.id), encodeBytes(challenge), encodeText(kind), body]);
    const prot = cborMap([1, 4], [encodeInt(COSE_ALG_EDDSA), encodeBytes(id.id)]);
    const sig = id.sign(sigStructure(prot, payload), this.app.tables.tables.base);
    return toHex(cborArray([encodeBytes(prot), encodeHead(5, 0), encodeBytes(payload), encodeBytes(sig)]));
  }

  /** The whole check of a signed command; a reply line when it fails. */
  private verify(hex: string): Signed | string {
    const app = this.app;
    // The nonce serves one attempt, whatever becomes of it.
    const nonce = this.nonce;
    const fresh = nonce !== undefined && app.timers.millis() - this.nonceAt <= NONCE_LIFETIME_MS;
    this.nonce = undefined;
    const data = fromHex(hex);
    if (data === undefined) return err("MALFORMED", "ADMIN takes a COSE_Sign1 in hex");
    if (!fresh) return err("STALE_NONCE", "ask for a NONCE first (one use, two minutes)");
    const d = decodeSign1(data);
    if (!d.ok) return err("MALFORMED", "not a COSE_Sign1 (" + d.verdict + ")");
    const s = d.sign1;
    let publicKey: Bytes | undefined = undefined;
    let byRoot = false;
    const roots: RootKey[] = app.config.roots;
    for (let i = 0; i < roots.length; i++) {
      if (equal(roots[i].kid, s.kid)) {
        publicKey = roots[i].publicKey;
        byRoot = true;
      }
    }
    const ks = app.keysets.current;
    if (publicKey === undefined) {
      const key = ks === undefined ? undefined : findKey(ks, s.kid);
      if (ks === undefined || key === undefined) return err("UNKNOWN_KEY", "signed by a key that is neither a root nor in the key set");
      if ((key.usage & UsageBits.ADMIN) === 0) return err("NOT_ADMIN", "the signing key may not administer devices (usage bit 4)");
      // A key's window is judged on a trusted clock only: without one (the RTC
      // lost power) an expired key could pass, so only a root may sign then.
      const t = app.time();
      if (!t.trusted) return err("CLOCK_NOT_TRUSTED", "the clock is not trusted, so no key's validity can be judged: only a root may sign (a root's TIME first)");
      if (isRevoked(ks, key.kid) || t.now > key.exp || t.now < key.nbf) return err("KEY_NOT_VALID", "the signing key is revoked or outside its validity");
      publicKey = key.publicKey;
    }
    const busy = this.charge(1);
    if (busy !== undefined) return busy;
    if (!verifySign1(s, publicKey)) return err("BAD_SIGNATURE", "the signature does not verify");
    this.refund(1);
    // Signature verified: the payload may now be read.
    const p = cborDecode(s.payload);
    if (!p.ok || !isKind(p.item, CBOR.MAP)) return err("MALFORMED", "the payload is not a map");
    const device = mapBytes(p.item, CMD.DEVICE);
    const n = mapBytes(p.item, CMD.NONCE);
    const name = mapText(p.item, CMD.NAME);
    if (device === undefined || n === undefined || name === undefined) return err("MALFORMED", "the payload lacks device, nonce or command");
    if (!equal(device, app.identity.id)) return err("WRONG_DEVICE", "signed for device " + toHex(device));
    if (!equal(n, nonce as Bytes)) return err("STALE_NONCE", "signed for another nonce");
    return { name, arg: mapGet(p.item, CMD.ARG), kid: s.kid, byRoot, nonce: n };
  }

  private run(s: Signed): string {
    const app = this.app;
    const a = s.arg;
    if (s.name === "TIME") {
      const t = a !== undefined && isKind(a, CBOR.UINT) ? (a.int as number) : -1;
      if (t < MIN_TIME || t > MAX_TIME) return err("BAD_ARGUMENT", "TIME takes unix seconds between " + MIN_TIME + " and " + MAX_TIME);
      // Only a root (recovery) may set a time below the floor or the key set's
      // issue time; it lowers the floor with it. Nothing goes below the build time.
      if (t < app.hardFloor()) return err("BELOW_FLOOR", "the firmware's build time is " + app.hardFloor() + ": the time cannot be below it");
      const ks = app.keysets.current;
      const floor = ks !== undefined && ks.issued > app.floor() ? ks.issued : app.floor();
      if (t < floor && !s.byRoot) return err("BELOW_FLOOR", "the device's time floor (or its key set's issue time) is " + floor + ": a time below it needs a root's signature");
      app.setTime(t, s.kid, s.byRoot);
      return this.changed(s.nonce, "TIME", "TIME " + t);
    }
    if (s.name === "CONFIG") {
      if (a === undefined || !isKind(a, CBOR.MAP)) return err("BAD_ARGUMENT", "CONFIG takes a map");
      const lang = mapText(a, CONFIG.LANG);
      const ms = mapUint(a, CONFIG.DISPLAY_MS);
      if (mapGet(a, CONFIG.LANG) !== undefined && !isLang(lang)) return err("BAD_ARGUMENT", "lang is " + LANGS.join(" or "));
      if (mapGet(a, CONFIG.DISPLAY_MS) !== undefined && (ms === undefined || ms < MIN_DISPLAY_MS || ms > MAX_DISPLAY_MS)) {
        return err("BAD_ARGUMENT", "display time is " + MIN_DISPLAY_MS + " to " + MAX_DISPLAY_MS + " ms");
      }
      app.configure(isLang(lang) ? lang : app.lang, ms === undefined ? app.displayMs() : ms);
      return this.changed(s.nonce, "CONFIG", "CONFIG " + app.lang + " " + app.displayMs());
    }
    if (s.name === "LOG") {
      const from = a !== undefined && isKind(a, CBOR.UINT) ? (a.int as number) : 0;
      // One more than a page says whether there is more; only the page is decoded (a board's RAM
      // could not hold the whole log as objects).
      const page = app.audit.pageFrom(from, LOG_PAGE + 1);
      const records: Bytes[] = [];
      const more = page.length > LOG_PAGE ? 1 : 0;
      for (let i = 0; i < page.length && i < LOG_PAGE; i++) {
        const e = page[i];
        const kid = fromHex(e.kid);
        const nik = fromHex(e.nikHash);
        records.push(cborArray([encodeInt(e.seq), encodeInt(e.time), encodeInt(verdictIndex(e.verdict)), encodeInt(e.source), encodeBytes(kid === undefined ? alloc(8) : kid), encodeBytes(nik === undefined ? alloc(8) : nik), encodeInt(e.warnings)]));
      }
      return "OK " + this.signedAnswer(s.nonce, "LOG", cborMap([LOG.RECORDS, LOG.MORE, LOG.LAST], [cborArray(records), encodeInt(more), encodeInt(app.audit.lastSeq())]));
    }
    // SCREEN: the frame on the panel now, signed like every answer that carries personal data.
    if (s.name === "SCREEN") {
      const f = app.frame();
      return "OK " + this.signedAnswer(s.nonce, "SCREEN", encodeFrame(f.panel, f.ops));
    }
    if (s.name === "LOGCLEAR") return this.changed(s.nonce, "LOGCLEAR", "LOGCLEAR " + app.clearLog(s.kid));
    if (s.name === "WIPE") {
      app.wipe(s.kid);
      return this.changed(s.nonce, "WIPE", "WIPE");
    }
    if (s.name === "UNLOCK") {
      if (this.hooks.unlock === undefined) return err("UNSUPPORTED", "this target has nothing to unlock");
      app.unlocked(s.kid); // on the record before the console opens
      // Signed before the hook erases Storage: on a board the signing table is a view of its
      // flash file in place (app/key-tables.ts), which would read erased bytes after the erase.
      const answer = this.changed(s.nonce, "UNLOCK", "UNLOCK");
      this.hooks.unlock();
      return answer;
    }
    return err("UNKNOWN_COMMAND", "unknown signed command " + s.name);
  }
}
