// A PN532 on the far end of a serial line, with virtual ISO 14443-4 cards
// that run the pindai card application (SPEC section 5). Replies follow the
// NXP UM0701-02 frame rules (ACK, then the D5 reply; NACK on a bad checksum;
// the last reply again on the host's NACK). Faults can be injected on
// everything it sends, from a seeded PRNG, so failures reproduce.
import { ed } from "../../host/issuer/ed";
import { ACK, ERROR_FRAME, FrameParser, NACK, TFI_HOST, TFI_PN532, encodeFrame } from "../../firmware/reader/pn532-frame";
import { cardAuthMessage } from "../../firmware/core/card";

export interface VirtualCard {
  serial: string;
  /** The credential file 00 01 (a COSE_Sign1). */
  credential: Uint8Array;
  /** The card's Ed25519 key: it answers INTERNAL AUTHENTICATE with it. */
  secretKey: Uint8Array;
  /** Leaves the field after this many READ BINARY commands (a card pulled away mid-read). */
  removeAfterReads?: number;
  /**
   * A relay to a card elsewhere: the answer to each INTERNAL AUTHENTICATE
   * comes this many ms late (one value per try, the last one repeats).
   */
  authDelaysMs?: number[];
}

export interface Faults {
  seed?: number;
  /** Probability that each sent byte is dropped / has a bit flipped. */
  drop?: number;
  flip?: number;
  /** Probability of a burst of garbage bytes before a frame. */
  garbage?: number;
  /** Delay before each sent chunk, in ms. */
  delayMs?: number;
  /** Send nothing at all (a dead or unplugged reader). */
  silent?: boolean;
  /** Keep answering a command after the host's ACK (which should abort it, UM0701-02 6.2.1.3). */
  ignoreAbort?: boolean;
}

const AID = [0xf0, 0x50, 0x49, 0x4e, 0x44, 0x41, 0x49, 0x01];

export class Pn532Emulator {
  card: VirtualCard | undefined = undefined;
  /** Commands received, by code, for tests and the simulator's log. */
  readonly log: number[] = [];
  private readonly parser: FrameParser;
  private lastReply: Uint8Array | undefined;
  private present = false;
  private applet = false;
  private fileSelected = false;
  private reads = 0;
  private auths = 0;
  /** Cancels the delayed answer of the command in progress. */
  private inProgress: (() => void) | undefined;
  private rand: () => number;
  /** Every INTERNAL AUTHENTICATE challenge received, in order. */
  readonly challenges: Uint8Array[] = [];

  constructor(
    private readonly sendRaw: (bytes: Uint8Array) => void,
    public faults: Faults = {},
    /** How delays are waited for (virtual timers in tests); returns a cancel function. */
    private readonly later: (fn: () => void, ms: number) => () => void = (fn, ms) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
  ) {
    let s = (faults.seed ?? 1) >>> 0;
    this.rand = () => {
      s = (s * 1664525 + 1013904223) >>> 0; // Numerical Recipes LCG
      return s / 4294967296;
    };
    this.parser = new FrameParser((ev) => {
      if (ev.type === "frame") this.onCommand(ev.body);
      else if (ev.type === "bad-checksum") this.send(NACK);
      else if (ev.type === "nack" && this.lastReply) this.send(this.lastReply);
      else if (ev.type === "ack" && this.inProgress && !this.faults.ignoreAbort) {
        // The host's ACK aborts the command in progress (a card answer still on its way).
        this.inProgress();
        this.inProgress = undefined;
      }
    });
  }

  /** Put a card on the reader (or take it away with undefined). */
  tap(card: VirtualCard | undefined): void {
    this.card = card;
    this.present = card !== undefined;
    this.reads = 0;
    this.auths = 0;
    this.applet = false;
    this.fileSelected = false;
  }

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    this.parser.push(bytes);
  }

  private send(bytes: Uint8Array): void {
    const f = this.faults;
    if (f.silent) return;
    const out: number[] = [];
    if (f.garbage && this.rand() < f.garbage) {
      const n = 1 + Math.floor(this.rand() * 8);
      for (let i = 0; i < n; i++) out.push(Math.floor(this.rand() * 256));
    }
    for (const b of bytes) {
      if (f.drop && this.rand() < f.drop) continue;
      out.push(f.flip && this.rand() < f.flip ? b ^ (1 << Math.floor(this.rand() * 8)) : b);
    }
    const chunk = new Uint8Array(out);
    if (f.delayMs) void this.later(() => this.sendRaw(chunk), f.delayMs);
    else this.sendRaw(chunk);
  }

  private reply(cmd: number, data: number[]): void {
    const frame = encodeFrame(new Uint8Array([TFI_PN532, cmd + 1, ...data]));
    this.lastReply = frame;
    this.send(frame);
  }

  private onCommand(body: Uint8Array): void {
    if (body.length < 2 || body[0] !== TFI_HOST) return this.send(ERROR_FRAME);
    const cmd = body[1];
    const data = body.subarray(2);
    this.log.push(cmd);
    this.send(ACK);
    switch (cmd) {
      case 0x02: // GetFirmwareVersion: PN532, v1.6, ISO/IEC 14443 A+B, 18092
        return this.reply(cmd, [0x32, 0x01, 0x06, 0x07]);
      case 0x14: // SAMConfiguration
        return this.reply(cmd, []);
      case 0x4a: {
        // InListPassiveTarget: one ISO-DEP type A target
        if (!this.present || !this.card) return this.reply(cmd, [0x00]);
        this.applet = false;
        this.fileSelected = false;
        return this.reply(cmd, [0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x50, 0x44, 0x31]);
      }
      case 0x40: {
        // InDataExchange to target 1: status 0x01 (timeout) once the card has left the field
        const answer = data[0] === 0x01 && this.present ? this.apdu(data.subarray(1)) : undefined;
        const delays = this.card?.authDelaysMs;
        if (data[2] === 0x88 && delays !== undefined && delays.length > 0) {
          const ms = delays[Math.min(this.auths - 1, delays.length - 1)];
          this.inProgress = this.later(() => {
            this.inProgress = undefined;
            this.reply(cmd, answer === undefined ? [0x01] : [0x00, ...answer]);
          }, ms);
          return;
        }
        return this.reply(cmd, answer === undefined ? [0x01] : [0x00, ...answer]);
      }
      case 0x52: // InRelease
        return this.reply(cmd, [0x00]);
      default:
        return this.send(ERROR_FRAME);
    }
  }

  /** The pindai card application: SELECT, READ BINARY, INTERNAL AUTHENTICATE. */
  /** The card's answer, or undefined when it has left the field. */
  private apdu(c: Uint8Array): number[] | undefined {
    const card = this.card!;
    if (c.length < 4) return [0x67, 0x00];
    const [cla, ins, p1, p2] = c;
    if (cla !== 0x00) return [0x6e, 0x00];
    if (ins === 0xa4 && p1 === 0x04) {
      const aid = [...c.subarray(5, 5 + c[4])];
      this.applet = aid.length === AID.length && aid.every((b, i) => b === AID[i]);
      return this.applet ? [0x90, 0x00] : [0x6a, 0x82];
    }
    if (ins === 0xa4 && p1 === 0x02 && p2 === 0x0c) {
      this.fileSelected = this.applet && c[4] === 2 && c[5] === 0x00 && c[6] === 0x01;
      return this.fileSelected ? [0x90, 0x00] : [0x6a, 0x82];
    }
    if (ins === 0xb0) {
      if (!this.fileSelected) return [0x69, 0x86];
      this.reads++;
      if (card.removeAfterReads !== undefined && this.reads > card.removeAfterReads) {
        this.present = false; // pulled away: the PN532 reports a timeout instead of an answer
        return undefined;
      }
      const off = p1 * 256 + p2;
      const le = c.length > 4 ? c[4] || 256 : 256;
      if (off >= card.credential.length) return [0x6b, 0x00];
      return [...card.credential.subarray(off, Math.min(off + le, card.credential.length)), 0x90, 0x00];
    }
    if (ins === 0x88) {
      if (!this.applet) return [0x69, 0x85];
      if (c[4] !== 32 || c.length < 5 + 32) return [0x67, 0x00];
      this.auths++;
      this.challenges.push(c.slice(5, 37));
      const sig = ed.sign(cardAuthMessage(c.slice(5, 37)), card.secretKey);
      return [...sig, 0x90, 0x00];
    }
    return [0x6d, 0x00];
  }
}
