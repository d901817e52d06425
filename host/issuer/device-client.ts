// The host side of the admin protocol (docs/SPEC.md section 6): a line link
// to a device (serial port, tcp://, or a simulator in this process), signed
// commands, and answers checked against the device's own key with the same
// strict COSE code as the firmware. Every request has a timeout. An answer
// that reports a change is believed only when the device signed it over our
// nonce and the STATUS it carries (taken after the change) shows the change:
// a bare `OK` (a relay, a fake) fails the command.
import type { Socket } from "node:net";
import { connectTcp } from "./tcp";
import { CliError } from "./errors";
import { portReason } from "./files";
import { SerialPort } from "serialport";
import { cborDecode, CBOR, isKind, mapBytes, mapGet, mapText, mapUint, type CborItem } from "../../firmware/core/cbor";
import { decodeSign1, verifySign1 } from "../../firmware/core/cose";
import { kidOf } from "../../firmware/core/sha256";
import { VERDICTS } from "../../firmware/core/verdict";
import { SOURCE_NAMES } from "../../firmware/app/audit-log";
import { ANSWER, CMD, CONFIG, LOG, MAX_ADMIN_LINE, RESULT, STATUS } from "../../firmware/app/admin-protocol";
import { cborEncode, sign1 } from "./cose-sign";
import { hex, unhex } from "./keyfile";
import { SCREEN_BODY } from "../../firmware/app/layout-cbor";
import type { Op } from "../../firmware/app/layout";
import type { Ink } from "../../firmware/hal/display";

/** A device's panel and the frame on it (SCREEN). */
export interface DeviceFrame {
  width: number;
  height: number;
  colour: boolean;
  ops: Op[];
}

/** One request line, one reply line (within the link's timeout, or waitMs when given). */
export interface LineLink {
  request(line: string, waitMs?: number): Promise<string>;
  close(): Promise<void>;
}

/** The device said ERR (wrong device, stale nonce, bad signature...) or did not answer: exit 1. */
export class DeviceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A link to a function that answers lines (the simulator in this process). */
export function memoryLink(handle: (line: string) => string): LineLink {
  return { request: async (line) => handle(line), close: async () => {} };
}

/** A byte stream split into lines, each request waiting at most timeoutMs for its reply. */
export function streamLink(write: (s: string) => void, onData: (fn: (b: Buffer) => void) => void, close: () => Promise<void>, timeoutMs: number, what: string): LineLink {
  let buffer = "";
  const lines: string[] = [];
  let waiter: (() => void) | undefined;
  // Whatever the device still says about an earlier session (late replies, an echo) is not
  // ours: the first request is preceded by PING <token>, and lines up to its PONG are dropped.
  let synced = false;
  let pong = "";
  onData((b) => {
    buffer += b.toString("latin1");
    if (buffer.length > 4 * MAX_ADMIN_LINE) buffer = buffer.slice(-MAX_ADMIN_LINE * 2); // a runaway device
    let i: number;
    while ((i = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, i).replace(/\r$/, "");
      buffer = buffer.slice(buffer[i] === "\r" ? i + 2 : i + 1);
      if (!synced) {
        if (line === pong) synced = true;
      } else if (line.startsWith("OK") || line.startsWith("ERR")) lines.push(line); // other lines (a console's echo, screens) are not replies
    }
    waiter?.();
  });
  return {
    async request(line, waitMs) {
      if (line.length > MAX_ADMIN_LINE) throw new DeviceError("LINE_TOO_LONG", `a line holds at most ${MAX_ADMIN_LINE} characters`);
      // A longer wait asked for a signing request never cuts the caller's own --timeout short.
      const wait = waitMs === undefined ? timeoutMs : Math.max(waitMs, timeoutMs);
      const deadline = Date.now() + wait;
      if (!synced && pong === "") {
        const token = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex");
        pong = "OK PONG " + token;
        write("PING " + token + "\n");
      }
      lines.length = 0;
      write(line + "\n");
      while (lines.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new DeviceError("TIMEOUT", `no answer from ${what} within ${wait} ms to ${line.split(" ")[0]}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiter = () => {
            clearTimeout(t);
            resolve();
          };
        });
        waiter = undefined;
      }
      return lines.shift()!;
    },
    close,
  };
}

/** A serial port path or tcp://HOST:PORT. */
export async function openLink(port: string, o: { baud?: number; timeoutMs?: number } = {}): Promise<LineLink> {
  const timeoutMs = o.timeoutMs ?? 5000;
  if (port.startsWith("tcp://")) {
    // A malformed URL stays a usage error; a refused port or unknown host is the device's failure, named.
    const sock: Socket = await connectTcp(port).catch((e) => {
      throw e instanceof CliError && e.exitCode === 2 ? e : new DeviceError("CONNECT", (e as Error).message.replace(`cannot connect to ${port}: `, "cannot connect: "));
    });
    return streamLink((s) => sock.write(s, "latin1"), (fn) => sock.on("data", fn), async () => void sock.destroy(), timeoutMs, port);
  }
  const sp = new SerialPort({ path: port, baudRate: o.baud ?? 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => sp.open((e) => (e ? reject(new DeviceError("CONNECT", `cannot open the port: ${portReason(e)}`)) : resolve())));
  return streamLink(
    (s) => sp.write(Buffer.from(s, "latin1")),
    (fn) => sp.on("data", fn),
    () => new Promise<void>((resolve) => (sp.isOpen ? sp.close(() => resolve()) : resolve())),
    timeoutMs,
    port,
  );
}

export interface AdminKey {
  secretKey: Uint8Array;
  kid: Uint8Array;
}

/** An ADMIN line: COSE_Sign1 over {device, nonce, command, argument}. */
export function signedCommand(key: AdminKey, deviceId: Uint8Array, nonce: Uint8Array, name: string, arg?: number | string | Map<number, number | string>): string {
  const m = new Map<number, unknown>([[CMD.DEVICE, deviceId], [CMD.NONCE, nonce], [CMD.NAME, name]]);
  if (arg !== undefined) m.set(CMD.ARG, arg);
  return "ADMIN " + hex(sign1(key.secretKey, key.kid, cborEncode(m as never), { tagged: false }));
}

function okText(reply: string): string {
  if (reply.startsWith("OK")) return reply.slice(3);
  // A reason may carry its own colon ("ERR OLDER: version 1 ..."): one colon, not two.
  const m = /^ERR ([^\s:]+):? ?(.*)$/.exec(reply);
  throw new DeviceError(m ? m[1] : "ERR", m ? `${m[1]}: ${m[2]}` : reply);
}

/** Check a signed answer: the device's key, its id, our challenge, the kind. Returns the body map. */
export function checkAnswer(hexText: string, deviceId: Uint8Array, devicePub: Uint8Array, challenge: Uint8Array, kind: string): CborItem {
  const bad = (why: string) => new DeviceError("BAD_ANSWER", `the device's answer ${why}`);
  if (!/^([0-9a-f]{2})+$/.test(hexText)) throw bad("is not hex");
  const d = decodeSign1(unhex(hexText));
  if (!d.ok) throw bad(`is not a COSE_Sign1 (${d.verdict})`);
  if (hex(d.sign1.kid) !== hex(deviceId)) throw bad(`is signed by ${hex(d.sign1.kid)}, not by device ${hex(deviceId)}`);
  if (!verifySign1(d.sign1, devicePub)) throw bad("does not verify with the device's public key");
  const p = cborDecode(d.sign1.payload);
  if (!p.ok || !isKind(p.item, CBOR.MAP)) throw bad("payload is not a map");
  const dev = mapBytes(p.item, ANSWER.DEVICE);
  const ch = mapBytes(p.item, ANSWER.CHALLENGE);
  if (dev === undefined || hex(dev) !== hex(deviceId)) throw bad("names another device");
  if (ch === undefined || hex(ch) !== hex(challenge)) throw bad("answers another challenge (a replayed answer)");
  if (mapText(p.item, ANSWER.KIND) !== kind) throw bad(`is not a ${kind} answer`);
  const body = mapGet(p.item, ANSWER.BODY);
  if (body === undefined || !isKind(body, CBOR.MAP)) throw bad("has no body");
  return body;
}

/** The version a signed key set claims (its payload key 1), read without judging its signature. */
function keysetVersion(bytes: Uint8Array): number | undefined {
  const d = decodeSign1(bytes);
  if (!d.ok) return undefined;
  const p = cborDecode(d.sign1.payload);
  return p.ok ? mapUint(p.item, 1) : undefined;
}

function statusOf(device: Uint8Array, b: CborItem): DeviceStatus {
  const warnings = mapGet(b, STATUS.WARNINGS);
  return {
    device: hex(device),
    version: mapText(b, STATUS.VERSION) ?? "",
    keyset: mapUint(b, STATUS.KEYSET) ?? 0,
    rtc: mapUint(b, STATUS.RTC) ?? 0,
    trusted: mapUint(b, STATUS.TRUSTED) === 1,
    floor: mapUint(b, STATUS.FLOOR) ?? 0,
    warnings: warnings?.items?.map((w) => w.text ?? "") ?? [],
    logCount: mapUint(b, STATUS.LOG_COUNT) ?? 0,
    logLast: mapUint(b, STATUS.LOG_LAST) ?? 0,
    lang: mapText(b, STATUS.LANG) ?? "",
    displayMs: mapUint(b, STATUS.DISPLAY_MS) ?? 0,
  };
}

/**
 * Check a change's reply text (after `OK `): `<words> <signed answer hex>`,
 * signed by the device over our challenge, of this kind, whose signed words
 * are the printed ones. Returns the words and the STATUS it carries.
 */
export function checkChange(text: string, deviceId: Uint8Array, devicePub: Uint8Array, challenge: Uint8Array, kind: string): { words: string; status: DeviceStatus } {
  const m = /^(.+) ([0-9a-f]{128,})$/.exec(text);
  if (!m) throw new DeviceError("BAD_ANSWER", `the device's answer to ${kind} is not signed ("${text.slice(0, 40)}"): a relay or a fake answered, not the device`);
  const body = checkAnswer(m[2], deviceId, devicePub, challenge, kind);
  if (mapText(body, RESULT.WORDS) !== m[1]) throw new DeviceError("BAD_ANSWER", `the device signed another result than "${m[1]}"`);
  const st = mapGet(body, RESULT.STATUS);
  if (st === undefined || !isKind(st, CBOR.MAP)) throw new DeviceError("BAD_ANSWER", `the device's ${kind} answer carries no STATUS`);
  return { words: m[1], status: statusOf(deviceId, st) };
}

export interface DeviceStatus {
  device: string;
  version: string;
  keyset: number;
  rtc: number;
  trusted: boolean;
  floor: number;
  warnings: string[];
  logCount: number;
  logLast: number;
  lang: string;
  displayMs: number;
}

export interface LogRecord {
  device: string;
  seq: number;
  time: number;
  verdict: string;
  source: string;
  kid: string;
  nikHash: string;
  warnings: number;
}

/**
 * How long a request waits when the device computes an Ed25519 signature for
 * it (STATUS with a challenge, KEYSET, ADMIN): seconds on a slow device that
 * has not made its tables yet. Only after the device answered ID.
 */
export const SIGNING_WAIT_MS = 60_000;

export class DeviceClient {
  id: Uint8Array = new Uint8Array(0);
  publicKey: Uint8Array = new Uint8Array(0);
  /** The signed STATUS that came with the last change's answer (taken on the device after the change). */
  lastStatus: DeviceStatus | undefined = undefined;

  constructor(
    readonly link: LineLink,
    private readonly key?: AdminKey,
  ) {}

  /** ID: the device's id and public key; the id must be the kid of that key. */
  async identify(): Promise<{ id: string; publicKey: string }> {
    const [id, pub] = okText(await this.link.request("ID")).split(" ");
    if (!/^[0-9a-f]{16}$/.test(id ?? "") || !/^[0-9a-f]{64}$/.test(pub ?? "")) throw new DeviceError("BAD_ANSWER", "ID answered something else than an id and a public key");
    if (hex(kidOf(unhex(pub))) !== id) throw new DeviceError("BAD_ANSWER", "the device id is not the kid of its public key");
    this.id = unhex(id);
    this.publicKey = unhex(pub);
    return { id, publicKey: pub };
  }

  /** Pin the device to a known public key (from the fleet inventory). */
  async expect(publicKeyHex: string): Promise<void> {
    const r = await this.identify();
    if (r.publicKey !== publicKeyHex) throw new DeviceError("WRONG_DEVICE", `the device on this port is ${r.id}, not the enrolled one`);
  }

  /** Refuse to go on unless the device on this line is the one with this id (pindai device --expect-id). */
  async expectId(idHex: string): Promise<void> {
    const r = await this.identify();
    if (r.id !== idHex.toLowerCase()) throw new DeviceError("WRONG_DEVICE", `the device on this port is ${r.id}, not ${idHex.toLowerCase()}`);
  }

  async version(): Promise<string> {
    return okText(await this.link.request("VERSION"));
  }

  async status(): Promise<DeviceStatus> {
    if (this.id.length === 0) await this.identify();
    const challenge = crypto.getRandomValues(new Uint8Array(16));
    return statusOf(this.id, checkAnswer(okText(await this.link.request("STATUS " + hex(challenge), SIGNING_WAIT_MS)), this.id, this.publicKey, challenge, "STATUS"));
  }

  /** KEYSET with a challenge: `INSTALLED v` or `SAME v`, signed, and the device's STATUS holds version v. */
  async installKeyset(bytes: Uint8Array): Promise<string> {
    if (this.id.length === 0) await this.identify();
    const version = keysetVersion(bytes);
    if (version === undefined) throw new DeviceError("BAD_ARGUMENT", "not a signed key set");
    const challenge = crypto.getRandomValues(new Uint8Array(16));
    const r = checkChange(okText(await this.link.request("KEYSET " + hex(bytes) + " " + hex(challenge), SIGNING_WAIT_MS)), this.id, this.publicKey, challenge, "KEYSET");
    if (r.words !== `INSTALLED ${version}` && r.words !== `SAME ${version}`) throw new DeviceError("BAD_ANSWER", `the device answered "${r.words}" to a key set of version ${version}`);
    return this.confirmed(r, r.status.keyset === version, `its key set is version ${r.status.keyset}, not ${version}`);
  }

  private confirmed(r: { words: string; status: DeviceStatus }, holds: boolean, why: string): string {
    this.lastStatus = r.status;
    if (!holds) throw new DeviceError("NOT_CONFIRMED", `the device answered "${r.words}" but its signed STATUS says ${why}`);
    return r.words;
  }

  /** A signed command that changes the device: its answer checked (signed over our nonce, this kind). */
  private async change(name: string, arg?: number | string | Map<number, number | string>): Promise<{ words: string; status: DeviceStatus }> {
    const r = await this.admin(name, arg);
    return checkChange(r.text, this.id, this.publicKey, r.nonce, name);
  }

  /** NONCE, then the signed command; the reply text after OK. */
  async admin(name: string, arg?: number | string | Map<number, number | string>): Promise<{ text: string; nonce: Uint8Array }> {
    if (this.key === undefined) throw new DeviceError("NO_KEY", "this command needs --admin-key");
    if (this.id.length === 0) await this.identify();
    const nonce = okText(await this.link.request("NONCE"));
    if (!/^[0-9a-f]{32}$/.test(nonce)) throw new DeviceError("BAD_ANSWER", "NONCE answered something else than a nonce");
    const n = unhex(nonce);
    return { text: okText(await this.link.request(signedCommand(this.key, this.id, n, name, arg), SIGNING_WAIT_MS)), nonce: n };
  }

  async setTime(t: number): Promise<string> {
    const r = await this.change("TIME", t);
    if (r.words !== `TIME ${t}`) throw new DeviceError("BAD_ANSWER", `the device answered "${r.words}" to TIME ${t}`);
    return this.confirmed(r, r.status.trusted && r.status.rtc >= t && r.status.rtc <= t + 300, `its clock reads ${r.status.rtc} (${r.status.trusted ? "trusted" : "not trusted"})`);
  }

  async configure(o: { lang?: string; displayMs?: number }): Promise<string> {
    const m = new Map<number, number | string>();
    if (o.lang !== undefined) m.set(CONFIG.LANG, o.lang);
    if (o.displayMs !== undefined) m.set(CONFIG.DISPLAY_MS, o.displayMs);
    const r = await this.change("CONFIG", m);
    const holds = (o.lang === undefined || r.status.lang === o.lang) && (o.displayMs === undefined || r.status.displayMs === o.displayMs);
    return this.confirmed(r, holds && r.words === `CONFIG ${r.status.lang} ${r.status.displayMs}`, `language ${r.status.lang}, display ${r.status.displayMs} ms`);
  }

  /** Every audit record, page by page, each page checked against the device's signature. */
  async logs(progress?: (got: number, last: number) => void, since = 0): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    let from = since;
    for (let page = 0; page < 10000; page++) {
      const r = await this.admin("LOG", from);
      const b = checkAnswer(r.text, this.id, this.publicKey, r.nonce, "LOG");
      const items = mapGet(b, LOG.RECORDS)?.items ?? [];
      for (const it of items) {
        const f = it.items ?? [];
        const n = (i: number) => f[i]?.int ?? 0;
        const by = (i: number) => hex(f[i]?.bytes ?? new Uint8Array(8));
        out.push({ device: hex(this.id), seq: n(0), time: n(1), verdict: VERDICTS[n(2)] ?? "?", source: SOURCE_NAMES[n(3)] ?? String(n(3)), kid: by(4), nikHash: by(5), warnings: n(6) });
        from = n(0) + 1;
      }
      progress?.(out.length, mapUint(b, LOG.LAST) ?? 0);
      if (mapUint(b, LOG.MORE) !== 1 || items.length === 0) break;
    }
    return out;
  }

  /** SCREEN: the frame on the device's panel now (firmware/app/layout-cbor.ts), in an answer signed by the device and checked. */
  async screen(): Promise<DeviceFrame> {
    const r = await this.admin("SCREEN");
    const b = checkAnswer(r.text, this.id, this.publicKey, r.nonce, "SCREEN");
    const ops = (mapGet(b, SCREEN_BODY.OPS)?.items ?? []).map((it) => {
      const f = it.items ?? [];
      const n = (i: number) => f[i]?.int ?? 0;
      return { x: n(0), y: n(1), w: n(2), h: n(3), ink: (f[4]?.text ?? "white") as Ink, font: n(5) - 1, text: f[6]?.text ?? "" };
    });
    return { width: mapUint(b, SCREEN_BODY.WIDTH) ?? 0, height: mapUint(b, SCREEN_BODY.HEIGHT) ?? 0, colour: mapUint(b, SCREEN_BODY.COLOUR) === 1, ops };
  }

  async clearLog(): Promise<string> {
    const r = await this.change("LOGCLEAR");
    return this.confirmed(r, /^LOGCLEAR \d+$/.test(r.words) && r.status.logCount === 1, `its log holds ${r.status.logCount} records`);
  }

  async wipe(): Promise<string> {
    const r = await this.change("WIPE");
    return this.confirmed(r, r.words === "WIPE" && r.status.keyset === 0, `it still holds key set version ${r.status.keyset}`);
  }

  async unlock(): Promise<string> {
    const r = await this.change("UNLOCK");
    return this.confirmed(r, r.words === "UNLOCK", `"${r.words}"`);
  }
}
