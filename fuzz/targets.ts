// One fuzz target per parser that takes bytes from outside the device. Each
// runs an input and throws when the code under test breaks one of its
// promises: never throw, never loop without end, stay inside its limits, and
// (where the format allows one) give a result that round-trips.
import type { Target } from "./engine";
import { mutateCbor } from "./cbor-mutator";
import { base45Decode, base45Encode, BASE45_MAX_BYTES } from "../firmware/core/base45";
import { type CborItem, CBOR, cborDecode, encodeHead, encodeBytes, encodeText } from "../firmware/core/cbor";
import { concat, equal, slice } from "../firmware/core/bytes";
import { decodeSign1, sigStructure } from "../firmware/core/cose";
import { loadKeyset, parseKeysetPayload, MAX_KEYS, MAX_REVOKED } from "../firmware/core/keyset";
import { kidOf } from "../firmware/core/sha256";
import { isDate, parseCardClaims, parsePresentationClaims, type Identity } from "../firmware/core/claims";
import { MAX_CREDENTIAL_BYTES } from "../firmware/core/card";
import { FrameParser, MAX_FRAME_DATA, encodeFrame, ACK, type FrameEvent } from "../firmware/reader/pn532/frame";
import { Pn532 } from "../firmware/reader/pn532/pn532";
import { readCard, READ_CHUNK, type CardSessionResult } from "../firmware/reader/card-session";
import { lineScanner } from "../firmware/hal/scan-engine";
import type { Serial } from "../firmware/hal/serial";
import type { Timers } from "../firmware/hal/timers";
import { VerifierApp } from "../firmware/app/verifier";
import { AdminService } from "../firmware/app/admin";
import { serveAdminLine } from "../firmware/app/admin-line";
import { ManualRtc, MemoryStorage, SeededRandom, Transcript, VirtualTimers as MemoryTimers } from "../firmware/targets/memory/hal";

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error("invariant: " + what);
}

const latin1 = (d: Uint8Array) => Buffer.from(d).toString("latin1");

// --- Base45 (RFC 9285) ------------------------------------------------------
const base45: Target = {
  maxLen: 6200, // a little over what a QR code holds
  run(d) {
    const text = latin1(d);
    const r = base45Decode(text);
    if (!r.ok) return;
    check(r.bytes.length <= BASE45_MAX_BYTES, "decoded more than BASE45_MAX_BYTES");
    check(base45Encode(r.bytes) === text, "decode then encode gives other text"); // Base45 is a bijection
  },
};

// --- strict CBOR (SPEC 1) -----------------------------------------------------
/** Encode an item back in preferred form: a strict decoder accepts only that, so it must give the input back. */
function reencode(it: CborItem): Uint8Array {
  switch (it.kind) {
    case CBOR.UINT: return encodeHead(0, it.int!);
    case CBOR.NEGINT: return encodeHead(1, -1 - it.int!);
    case CBOR.BYTES: return encodeBytes(it.bytes!);
    case CBOR.TEXT: return encodeText(it.text!);
    case CBOR.ARRAY: return concat([encodeHead(4, it.items!.length), ...it.items!.map(reencode)]);
    case CBOR.MAP: {
      const parts = [encodeHead(5, it.keys!.length)];
      for (let i = 0; i < it.keys!.length; i++) parts.push(reencode(it.keys![i]), reencode(it.values![i]));
      return concat(parts);
    }
    case CBOR.TAG: return concat([encodeHead(6, it.tag!), reencode(it.content!)]);
    case CBOR.FALSE: return Uint8Array.of(0xf4);
    case CBOR.TRUE: return Uint8Array.of(0xf5);
    case CBOR.NULL: return Uint8Array.of(0xf6);
  }
  throw new Error("invariant: unknown item kind " + it.kind);
}

const cbor: Target = {
  mutate: mutateCbor,
  maxLen: 4096,
  run(d) {
    const r = cborDecode(d);
    if (!r.ok) {
      check(r.offset >= 0 && r.offset <= d.length, "error offset outside the input");
      return;
    }
    check(r.item.start === 0 && r.item.end === d.length, "top item does not span the input");
    check(equal(reencode(r.item), d), "accepted a non-preferred encoding (re-encoding differs)");
  },
};

// --- COSE_Sign1 (SPEC 2) ------------------------------------------------------
const cose: Target = {
  mutate: mutateCbor,
  maxLen: 4096,
  run(d) {
    const r = decodeSign1(d);
    if (!r.ok) {
      check(r.verdict === "MALFORMED" || r.verdict === "UNSUPPORTED_ALG", "unexpected verdict " + r.verdict);
      return;
    }
    check(r.sign1.kid.length === 8 && r.sign1.signature.length === 64, "kid or signature of the wrong size");
    const s = cborDecode(sigStructure(r.sign1.protectedBytes, r.sign1.payload));
    check(s.ok && s.item.kind === CBOR.ARRAY, "Sig_structure is not a CBOR array");
  },
};

// --- key set payload (SPEC 4), and the signed envelope before its signature ----
const keyset: Target = {
  mutate: mutateCbor,
  maxLen: 16400, // just past MAX_KEYSET_BYTES
  run(d) {
    const env = loadKeyset(d, []); // no roots: must stop at "not a root", never OK
    check(!env.ok, "a key set loaded with no roots");
    const ks = parseKeysetPayload(d, d);
    if (typeof ks === "string") return;
    check(ks.keys.length <= MAX_KEYS && ks.revoked.length <= MAX_REVOKED, "more keys or revocations than allowed");
    for (const k of ks.keys) check(equal(k.kid, kidOf(k.publicKey)), "a key whose kid is not its hash");
    const p = ks.policy;
    check(p.skew <= 300 && p.maxValidity >= 1 && p.maxValidity <= 300 && p.replay <= 2, "policy out of range");
  },
};

// --- claims of a QR presentation and of a card credential (SPEC 2, 5) --------
function checkIdentity(idn: Identity): void {
  check(/^[0-9]{16}$/.test(idn.nik), "NIK is not 16 digits");
  check(idn.name.length >= 1 && idn.name.length <= 100, "name length out of range");
  check(isDate(idn.dob) && (idn.sex === "L" || idn.sex === "P"), "date of birth or sex malformed");
}

const claims: Target = {
  mutate: mutateCbor,
  maxLen: 4096,
  run(d) {
    const qr = parsePresentationClaims(d);
    if (qr !== undefined) {
      checkIdentity(qr.idn);
      check(qr.cti.length >= 8 && qr.cti.length <= 16, "cti length out of range");
    }
    const card = parseCardClaims(d);
    if (card !== undefined) {
      checkIdentity(card.idn);
      check(card.sub.length >= 1 && card.sub.length <= 64 && card.cardKey.length === 32, "sub or card key out of range");
    }
  },
};

// --- card session replies (SPEC 5) over the real PN532 driver ------------------
/** Virtual time: timers fire in order when the script runs out of events. */
class VirtualTimers implements Timers {
  now = 0;
  private seq = 0;
  private pending: Array<{ at: number; id: number; fn: () => void }> = [];
  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.pending.push({ at: this.now + ms, id, fn });
    return id;
  }
  clearTimeout(id: number): void {
    this.pending = this.pending.filter((t) => t.id !== id);
  }
  millis(): number {
    return this.now;
  }
  /** Run the earliest timer; false when none is left. */
  step(): boolean {
    if (this.pending.length === 0) return false;
    let k = 0;
    for (let i = 1; i < this.pending.length; i++) if (this.pending[i].at < this.pending[k].at) k = i;
    const t = this.pending.splice(k, 1)[0];
    this.now = Math.max(this.now, t.at);
    t.fn();
    return true;
  }
}

/**
 * The input scripts what the reader answers to each command the driver sends:
 * an op byte, then for some ops a length and that many bytes.
 * (an op byte of 128 or more answers at once, within the driver's write())
 *   op % 4 = 0: silence (the driver times out)
 *            1: ACK and a D5 (CMD+1) reply with the given data
 *            2: the given raw bytes (frame-level junk, NACKs, half frames)
 *            3: ACK and an InDataExchange success: status 00, the data, SW 90 00
 */
const cardSession: Target = {
  maxLen: 8192,
  run(d) {
    const timers = new VirtualTimers();
    let at = 0;
    const take = (n: number) => {
      const b = d.subarray(at, Math.min(d.length, at + n));
      at += b.length;
      return b;
    };
    let handler: (data: Uint8Array) => void = () => {};
    const deliver = (bytes: Uint8Array) => timers.setTimeout(() => handler(bytes), 1);
    const serial: Serial = {
      onData(h) {
        handler = h;
      },
      close() {},
      write(frame) {
        if (frame.length < 7 || frame[5] !== 0xd4 || at >= d.length) return; // ACK/NACK from the host, or script over
        const cmd = frame[6];
        const opByte = take(1)[0];
        const op = opByte % 4;
        if (op === 0) return;
        const data = take(take(1)[0] ?? 0);
        const reply = op === 1 ? data : concat([Uint8Array.of(0x00), data, Uint8Array.of(0x90, 0x00)]);
        const bytes = op === 2 ? data : concat([ACK, encodeFrame(concat([Uint8Array.of(0xd5, (cmd + 1) & 255), reply]))]);
        // Op bytes from 128 answer within write(), as a fast link or the simulator does.
        if (opByte >= 128) handler(bytes);
        else deliver(bytes);
      },
    };
    const challenge = new Uint8Array(32).fill(7);
    const pn = new Pn532(serial, timers, { ackTimeoutMs: 10, replyTimeoutMs: 50, retries: 2 });
    const results: CardSessionResult[] = [];
    readCard(pn, { bytes: (n) => challenge.slice(0, n) }, (r) => results.push(r), { detectTimeoutMs: 50 });
    let steps = 0;
    while (timers.step()) check(++steps < 20000, "the session never ends");
    check(results.length === 1, `the session ended ${results.length} times`);
    const r = results[0];
    if (r.ok) {
      const c = r.read.credential;
      check(c.length <= MAX_CREDENTIAL_BYTES + READ_CHUNK && cborDecode(c).ok, "credential too large or not one CBOR item");
      check(equal(r.read.challenge, challenge) && r.read.signature.length === 64, "challenge or signature wrong");
    }
  },
};

// --- PN532 frames (UM0701-02 6.2.1) ------------------------------------------
/** The parser's events for `d` cut into chunks; `reentrant`: the next chunk is pushed from inside the handler. */
function frameEvents(d: Uint8Array, chunk: (i: number) => number, reentrant = false): { events: string[]; examined: number } {
  const chunks: Uint8Array[] = [];
  for (let i = 0, k = 0; i < d.length; k++) {
    const n = chunk(k);
    chunks.push(slice(d, i, i + n));
    i += n;
  }
  const events: string[] = [];
  let next = 0;
  const p: FrameParser = new FrameParser((ev: FrameEvent) => {
    if (ev.type === "frame") check(ev.body.length >= 1 && ev.body.length <= MAX_FRAME_DATA, "frame body out of range");
    events.push(ev.type === "frame" ? "frame:" + latin1(ev.body) : ev.type);
    if (reentrant && next < chunks.length) p.push(chunks[next++]);
  });
  while (next < chunks.length) p.push(chunks[next++]);
  return { events, examined: p.examined };
}

const pn532Frames: Target = {
  maxLen: 1200, // a few frames of the largest size
  run(d) {
    if (d.length === 0) return;
    const sizes = d[0];
    const body = d.subarray(1);
    const whole = frameEvents(body, () => body.length);
    check(whole.examined <= 48 * body.length + 16, `examined ${whole.examined} bytes for ${body.length}`);
    // Chunking must not change what the parser sees (its buffer never has to drop a frame in progress).
    const chunked = frameEvents(body, (k) => 1 + ((sizes >> (k % 8)) & 15));
    check(chunked.events.join() === whole.events.join(), "events depend on how the bytes were chunked");
    // ... or on bytes arriving from inside the handler (a reply within write()).
    const nested = frameEvents(body, (k) => 1 + ((sizes >> (k % 8)) & 15), true);
    check(nested.events.join() === whole.events.join(), "events change when the handler pushes more bytes");
  },
};

// --- the scan engine's line (the QR text path) ------------------------------
function scanLines(d: Uint8Array, max: number, chunk: (k: number) => number): string[] {
  const lines: string[] = [];
  let handler: (data: Uint8Array) => void = () => {};
  const serial: Serial = { write() {}, close() {}, onData: (h) => void (handler = h) };
  lineScanner(serial, max).onLine((t) => lines.push(t));
  for (let i = 0, k = 0; i < d.length; k++) {
    const n = chunk(k);
    handler(d.subarray(i, i + n));
    i += n;
  }
  return lines;
}

const scanLine: Target = {
  maxLen: 1200, // past the longest line limit tried (256) with room for several lines
  run(d) {
    if (d.length === 0) return;
    const max = 1 + d[0]; // the line limit, 1..256
    const body = d.subarray(1);
    const whole = scanLines(body, max, () => body.length);
    for (const l of whole) check(l.length >= 1 && l.length <= max && !/[\r\n]/.test(l), "a line empty, too long or with CR/LF");
    const bytewise = scanLines(body, max, () => 1);
    check(bytewise.join("\n") === whole.join("\n"), "lines depend on how the bytes were chunked");
  },
};

// --- the admin line (docs/SPEC.md section 6) ---------------------------------
// One device on in-memory hardware for the whole run (a boot makes a key).
let adminDevice: { feed: (d: Uint8Array) => void; replies: string[]; rtc: ManualRtc; app: VerifierApp } | undefined;

function admin(): NonNullable<typeof adminDevice> {
  if (adminDevice !== undefined) return adminDevice;
  const rtc = new ManualRtc();
  const out = new Transcript();
  const root = new Uint8Array(32).fill(9);
  const app = new VerifierApp(
    { display: out, indicator: out, storage: new MemoryStorage(), rtc, timers: new MemoryTimers(), random: new SeededRandom(3) },
    { roots: [{ kid: kidOf(root), publicKey: root }], buildTime: 1_700_000_000, version: "fuzz", tables: false },
  );
  const service = new AdminService(app);
  const replies: string[] = [];
  let handler: (data: Uint8Array) => void = () => {};
  serveAdminLine({ write: (b) => void replies.push(latin1(b)), close() {}, onData: (h) => void (handler = h) }, (l) => service.handle(l));
  adminDevice = { feed: (d) => handler(d), replies, rtc, app };
  return adminDevice;
}

const adminLine: Target = {
  maxLen: 4096,
  run(d) {
    const dev = admin();
    dev.replies.length = 0;
    const before = dev.rtc.seconds();
    dev.feed(d);
    dev.feed(new Uint8Array([10])); // end whatever line is open
    for (const r of dev.replies) {
      check(/^(OK|ERR) [\x20-\x7e]*\r\n$/.test(r) || r === "OK\r\n", "a reply that is not one OK/ERR line");
    }
    // Nothing unsigned moves the clock or leaves an admin record (no input here can be signed for this device's nonce).
    check(dev.rtc.seconds() === before, "the clock moved");
    check(dev.app.audit.entries().every((e) => e.source < 2), "an admin event from unsigned input");
  },
};

/** The targets, by name. */
export const TARGETS: Record<string, Target> = {
  base45,
  cbor,
  cose,
  keyset,
  claims,
  "card-session": cardSession,
  "pn532-frames": pn532Frames,
  "scan-line": scanLine,
  "admin-line": adminLine,
};

/** The source files whose edges each target is there to cover (for the report). */
export const TARGET_FILES: Record<string, string[]> = {
  base45: ["firmware/core/base45.ts"],
  cbor: ["firmware/core/cbor.ts"],
  cose: ["firmware/core/cose.ts"],
  keyset: ["firmware/core/keyset.ts"],
  claims: ["firmware/core/claims.ts"],
  "card-session": ["firmware/reader/card-session.ts", "firmware/reader/pn532/pn532.ts", "firmware/reader/apdu.ts"],
  "pn532-frames": ["firmware/reader/pn532/frame.ts"],
  "scan-line": ["firmware/hal/scan-engine.ts"],
  "admin-line": ["firmware/app/admin-line.ts"], // admin.ts past the signature check needs valid signatures: test/trusted-device.test.ts
};
