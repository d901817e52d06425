// A PN532 on the far end of a serial line, carrying APDUs to a virtual card
// (sim/virtual-card.ts: the pindai card application). Replies follow the
// NXP UM0701-02 frame rules (ACK, then the D5 reply; NACK on a bad checksum;
// the last reply again on the host's NACK). Faults can be injected on
// everything it sends, from a seeded PRNG, so failures reproduce.
import { ACK, ERROR_FRAME, FrameParser, NACK, TFI_HOST, TFI_PN532, encodeFrame } from "../../firmware/reader/pn532/frame";
import { CardInField, type VirtualCard } from "../virtual-card";

export type { VirtualCard };

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

export class Pn532Emulator {
  /** The card on the reader, if any. */
  private inField: CardInField | undefined = undefined;
  /** Commands received, by code, for tests and the simulator's log. */
  readonly log: number[] = [];
  private readonly parser: FrameParser;
  private lastReply: Uint8Array | undefined;
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
    this.inField = card === undefined ? undefined : new CardInField(card, this.challenges);
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
        if (this.inField === undefined || !this.inField.present) return this.reply(cmd, [0x00]);
        this.inField.activate();
        return this.reply(cmd, [0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x50, 0x44, 0x31]);
      }
      case 0x40: {
        // InDataExchange to target 1: status 0x01 (timeout) once the card has left the field
        const card = this.inField;
        const answer = data[0] === 0x01 && card !== undefined ? card.answer(data.subarray(1)) : undefined;
        const ms = data[2] === 0x88 && card !== undefined ? card.authDelayMs() : undefined;
        if (ms !== undefined) {
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
}
