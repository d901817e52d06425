// PN532 driver over a serial HAL (HSU, 115200 8N1), NXP UM0701-02.
// One command at a time; every exchange is bounded: an ACK must come within
// ackTimeoutMs and the reply within the command's reply timeout, each retried
// a bounded number of times (resend on NACK, bad checksum or silence). The
// driver never blocks and never waits forever: the callback always fires.
// As a CardReader (hal/card-reader.ts) it talks to one ISO-DEP target, number 1.
import { type Bytes, alloc, bytesOf, concat, slice } from "../../core/bytes";
import type { CardReader, CardReaderFault, DetectedCard } from "../../hal/card-reader";
import type { Serial } from "../../hal/serial";
import type { Timers, TimerHandle } from "../../hal/timers";
import { ACK, FrameParser, NACK, TFI_PN532, commandFrame, type FrameEvent } from "./frame";

// Command codes (UM0701-02 section 7).
export const CMD_GET_FIRMWARE_VERSION = 0x02;
export const CMD_SAM_CONFIGURATION = 0x14;
export const CMD_IN_DATA_EXCHANGE = 0x40;
export const CMD_IN_LIST_PASSIVE_TARGET = 0x4a;
export const CMD_IN_RELEASE = 0x52;

export type Pn532Error =
  | "TIMEOUT" // no ACK or no reply after all retries
  | "NACK" // the PN532 kept refusing our frame
  | "BAD_FRAME" // replies kept failing their checksums, or a reply to another command
  | "ERROR_FRAME" // the PN532 reported a syntax error (6.2.1.5)
  | "BUSY"; // a command is already in flight

export interface Pn532Options {
  ackTimeoutMs?: number;
  replyTimeoutMs?: number;
  retries?: number;
}

type Callback = (err: Pn532Error | undefined, reply: Bytes | undefined) => void;

/** A driver error as the card reader interface names it (the PN532's own name is the detail). */
function fault(err: Pn532Error): CardReaderFault {
  return { error: err === "TIMEOUT" ? "TIMEOUT" : "LINK", detail: err };
}

const TARGET_1: Bytes = bytesOf([0x01]);

export class Pn532 implements CardReader {
  private readonly parser: FrameParser;
  private readonly ackTimeoutMs: number;
  private readonly replyTimeoutMs: number;
  private readonly retries: number;
  private cmd = -1;
  private frame: Bytes = alloc(0);
  private cb: Callback | undefined = undefined;
  private timer: TimerHandle | undefined = undefined;
  private waitingFor = ""; // "ack" | "reply" | ""
  private triesLeft = 0;
  private replyTimeout = 0;
  /** millis() by which a strict exchange must be over; -1 for a normal command. */
  private deadlineAt = -1;

  constructor(
    private readonly serial: Serial,
    private readonly timers: Timers,
    opts?: Pn532Options,
  ) {
    const o = opts === undefined ? {} : opts;
    this.ackTimeoutMs = o.ackTimeoutMs === undefined ? 100 : o.ackTimeoutMs;
    this.replyTimeoutMs = o.replyTimeoutMs === undefined ? 1000 : o.replyTimeoutMs;
    this.retries = o.retries === undefined ? 2 : o.retries;
    this.parser = new FrameParser((ev) => this.onFrame(ev));
    serial.onData((d) => this.parser.push(d));
  }

  busy(): boolean {
    return this.cb !== undefined;
  }

  /** Send CMD with DATA; the callback gets the reply data after D5 CMD+1. */
  command(cmd: number, data: Bytes, cb: Callback, replyTimeoutMs?: number): void {
    this.start(cmd, data, cb, this.retries, replyTimeoutMs === undefined ? this.replyTimeoutMs : replyTimeoutMs, -1);
  }

  /**
   * Send CMD once, strictly: ACK and reply must both arrive within deadlineMs
   * of the write, nothing is resent, and a reply before our ACK (a late answer
   * to an earlier command) is dropped. For answers whose age matters (a card's
   * INTERNAL AUTHENTICATE: a relay adds latency).
   */
  commandOnce(cmd: number, data: Bytes, deadlineMs: number, cb: Callback): void {
    this.start(cmd, data, cb, 0, deadlineMs, this.timers.millis() + deadlineMs);
  }

  private start(cmd: number, data: Bytes, cb: Callback, tries: number, replyTimeoutMs: number, deadlineAt: number): void {
    if (this.cb !== undefined) {
      cb("BUSY", undefined);
      return;
    }
    this.cmd = cmd;
    this.frame = commandFrame(cmd, data);
    this.cb = cb;
    this.triesLeft = tries;
    this.replyTimeout = replyTimeoutMs;
    this.deadlineAt = deadlineAt;
    this.send();
  }

  /**
   * Wake-up from power-down (UM0701-02 6.2.2 HSU wake-up): a long preamble of
   * 0x55 and zeros, then SAMConfiguration normal mode (7.2.10), no IRQ.
   */
  wake(done: (fault: CardReaderFault | undefined) => void): void {
    const w = alloc(16);
    w[0] = 0x55;
    w[1] = 0x55;
    this.serial.write(w);
    this.command(CMD_SAM_CONFIGURATION, bytesOf([0x01, 0x14, 0x00]), (err) => done(err === undefined ? undefined : fault(err)));
  }

  /** InListPassiveTarget: 1 target, 106 kbps type A (7.3.5); timeoutMs is the reply timeout of each try. */
  detect(timeoutMs: number, done: (fault: CardReaderFault | undefined, card: DetectedCard | undefined) => void): void {
    this.command(
      CMD_IN_LIST_PASSIVE_TARGET,
      bytesOf([0x01, 0x00]),
      (err, reply) => {
        if (err !== undefined) return done(fault(err), undefined);
        if (reply === undefined || reply.length < 1 || reply[0] === 0) return done(undefined, undefined);
        // NbTg Tg SENS_RES(2) SEL_RES NFCIDLength NFCID1... (7.3.5, type A); a short reply gives no UID.
        const n = reply.length > 5 ? reply[5] : 0;
        done(undefined, { uid: 6 + n <= reply.length ? slice(reply, 6, 6 + n) : alloc(0) });
      },
      timeoutMs,
    );
  }

  /** InDataExchange to target 1 (7.3.8): status 00, then the card's response APDU. */
  transceive(command: Bytes, deadlineMs: number | undefined, done: (fault: CardReaderFault | undefined, response: Bytes | undefined) => void): void {
    const cb: Callback = (err, reply) => {
      if (err !== undefined) return done(fault(err), undefined);
      if (reply === undefined || reply.length < 1) return done({ error: "BAD_REPLY", detail: "SHORT_REPLY" }, undefined);
      // A status other than 00 (01: the card did not answer in time) means the card is gone (7.1).
      if (reply[0] !== 0x00) return done({ error: "CARD_GONE", detail: "STATUS_" + reply[0] }, undefined);
      done(undefined, slice(reply, 1, reply.length));
    };
    const data = concat([TARGET_1, command]);
    if (deadlineMs === undefined) this.command(CMD_IN_DATA_EXCHANGE, data, cb);
    else this.commandOnce(CMD_IN_DATA_EXCHANGE, data, deadlineMs, cb);
  }

  /** InRelease of target 1 (7.3.11). */
  release(done: () => void): void {
    this.command(CMD_IN_RELEASE, TARGET_1, () => done());
  }

  private send(): void {
    this.parser.reset();
    // Arm the wait first: a transport may deliver the ACK and reply within write().
    this.wait("ack", this.ackTimeoutMs);
    this.serial.write(this.frame);
  }

  private wait(what: string, ms: number): void {
    this.clearTimer();
    this.waitingFor = what;
    if (this.deadlineAt >= 0) {
      const left = this.deadlineAt - this.timers.millis();
      if (left < ms) ms = left > 0 ? left : 0;
    }
    this.timer = this.timers.setTimeout(() => this.onTimeout(), ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private retryOr(err: Pn532Error): void {
    if (this.triesLeft > 0) {
      this.triesLeft--;
      this.send();
    } else {
      this.finish(err, undefined);
    }
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.cb === undefined) return;
    // An ACK frame tells the PN532 to abort the command in progress (6.2.1.3).
    if (this.waitingFor === "reply") this.serial.write(ACK);
    this.retryOr("TIMEOUT");
  }

  private onFrame(ev: FrameEvent): void {
    if (this.cb === undefined) return; // nothing asked: late or stray frame
    if (ev.type === "ack") {
      if (this.waitingFor === "ack") this.wait("reply", this.replyTimeout);
      return;
    }
    if (ev.type === "nack") return this.retryOr("NACK");
    if (ev.type === "error-frame") return this.finish("ERROR_FRAME", undefined);
    if (ev.type === "bad-checksum") {
      // Ask for the reply again (the PN532 resends on NACK, 6.2.1.4), within our retries.
      if (this.waitingFor === "reply" && this.triesLeft > 0) {
        this.triesLeft--;
        this.serial.write(NACK);
        this.wait("reply", this.replyTimeout);
        return;
      }
      if (this.waitingFor === "reply") this.finish("BAD_FRAME", undefined);
      return;
    }
    // An information frame: must be D5 (CMD + 1). A reply may overtake a lost ACK,
    // but not in a strict exchange: there it is a late answer to the command before.
    if (this.deadlineAt >= 0 && this.waitingFor === "ack") return;
    const body = ev.body;
    if (body.length < 2 || body[0] !== TFI_PN532 || body[1] !== this.cmd + 1) return this.retryOr("BAD_FRAME");
    this.finish(undefined, slice(body, 2, body.length));
  }

  private finish(err: Pn532Error | undefined, reply: Bytes | undefined): void {
    this.clearTimer();
    this.waitingFor = "";
    const cb = this.cb;
    this.cb = undefined;
    if (cb !== undefined) cb(err, reply);
  }
}

