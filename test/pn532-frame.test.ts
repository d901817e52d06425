// PN532 frame codec (UM0701-02 6.2.1): encoding against the manual's bytes,
// decoding in any chunking, malformed frames and resynchronisation.
import { describe, expect, it } from "vitest";
import { ACK, ERROR_FRAME, FrameParser, NACK, commandFrame, encodeFrame, type FrameEvent } from "../firmware/reader/pn532/frame";

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s/g, ""), "hex"));
const str = (b: Uint8Array) => Buffer.from(b).toString("hex");

function parseAll(chunks: Uint8Array[]): string[] {
  const out: string[] = [];
  const p = new FrameParser((ev: FrameEvent) => out.push(ev.type === "frame" ? "frame:" + str(ev.body) : ev.type));
  for (const c of chunks) p.push(c);
  return out;
}

describe("PN532 frame encoding", () => {
  it("GetFirmwareVersion and SAMConfiguration as the manual writes them", () => {
    expect(str(commandFrame(0x02, new Uint8Array(0)))).toBe("0000ff02fed4022a00");
    expect(str(commandFrame(0x14, hex("011400")))).toBe("0000ff05fbd4140114000300");
  });
  it("every command of the driver has valid checksums", () => {
    for (const [cmd, data] of [[0x4a, "0100"], [0x40, "0100a4040008f050494e44414901 00".replace(" ", "")], [0x52, "01"]] as const) {
      const f = commandFrame(cmd, hex(data));
      const len = f[3];
      expect((len + f[4]) & 0xff).toBe(0);
      let sum = 0;
      for (let i = 5; i < 5 + len + 1; i++) sum += f[i];
      expect(sum & 0xff).toBe(0);
      expect(parseAll([f])).toEqual(["frame:d4" + cmd.toString(16).padStart(2, "0") + str(hex(data))]);
    }
  });
  it("extended frames above 255 bytes, up to the PN532's 265", () => {
    const body = new Uint8Array(262).map((_, i) => i & 255);
    const f = encodeFrame(body);
    expect(str(f.slice(0, 8))).toBe("0000ffffff0106f9"); // LENM 01 LENL 06 LCS F9
    expect(parseAll([f])).toEqual(["frame:" + str(body)]);
    expect(parseAll([encodeFrame(new Uint8Array(266))])).toEqual(["bad-checksum"]); // over the limit
  });
});

describe("PN532 frame parsing", () => {
  const reply = hex("0000ff06fad50332010607e800"); // GetFirmwareVersion reply
  it("ACK, NACK, error frame and a reply", () => {
    expect(parseAll([ACK, NACK, ERROR_FRAME, reply])).toEqual(["ack", "nack", "error-frame", "frame:d50332010607"]);
  });
  it("byte-by-byte delivery gives the same events", () => {
    const all = new Uint8Array([...ACK, ...reply]);
    expect(parseAll([...all].map((b) => new Uint8Array([b])))).toEqual(["ack", "frame:d50332010607"]);
  });
  it("garbage before, between and after frames is skipped", () => {
    expect(parseAll([hex("55 55 13 37 ff"), ACK, hex("aa bb"), reply, hex("01 02")])).toEqual(["ack", "frame:d50332010607"]);
  });
  it("a bad data checksum is reported and the next frame still parses", () => {
    const bad = reply.slice();
    bad[8] ^= 0x01;
    expect(parseAll([bad, reply])).toEqual(["bad-checksum", "frame:d50332010607"]);
  });
  it("a bad length checksum is reported", () => {
    expect(parseAll([hex("0000ff06fbd50332010607e800"), ACK])).toEqual(["bad-checksum", "ack"]);
  });
  it("a lost byte inside a frame resynchronises on a later frame", () => {
    const lost = new Uint8Array([...reply.slice(0, 7), ...reply.slice(8)]);
    const events = parseAll([lost, reply, reply]);
    expect(events).toContain("bad-checksum");
    expect(events.filter((e) => e === "frame:d50332010607").length).toBeGreaterThanOrEqual(1);
  });
  it("linear in any input: 256 KB of bad start codes in one chunk or in small ones", () => {
    // Each kind of bad start, repeated up to 256 KB, with the bytes looked at per
    // input byte: a bad LEN/LCS; a 265-byte frame with a bad data checksum; and
    // the costliest, a start code every 7 bytes each claiming 265 bytes whose
    // checksum then fails (266 bytes summed per 7 bytes in).
    const kinds: Array<[Uint8Array, number]> = [
      [hex("00ff0200"), 4],
      [hex("0000ffffff0109f6" + "00".repeat(265) + "0100"), 4],
      [hex("00ffffff0109f6"), 48],
    ];
    for (const [unit, perByte] of kinds) {
      const big = new Uint8Array(256 * 1024);
      for (let i = 0; i + unit.length <= big.length; i += unit.length) big.set(unit, i);
      for (const chunk of [big.length, 1000, 7]) {
        const p = new FrameParser(() => {});
        let events = 0;
        const q = new FrameParser(() => events++);
        for (let i = 0; i < big.length; i += chunk) {
          p.push(big.subarray(i, i + chunk));
          q.push(big.subarray(i, i + chunk));
        }
        // The old parser went back to the start of its buffer after each bad
        // frame: ~n^2/8 bytes looked at (8.6e9 here, 8 s); this one a bounded number per byte.
        expect(p.examined, `unit ${unit.length}, chunks of ${chunk}`).toBeLessThanOrEqual(perByte * big.length);
        expect(events).toBeGreaterThan(big.length / 300);
        q.push(hex("0000ff06fad50332010607e800"));
      }
    }
  });

  it("a frame still parses right after 256 KB of junk", () => {
    const out: string[] = [];
    const p = new FrameParser((ev) => out.push(ev.type));
    p.push(new Uint8Array(256 * 1024).map((_, i) => (i % 2 === 0 ? 0x00 : 0xff)));
    p.push(hex("0000ff06fad50332010607e800"));
    expect(out[out.length - 1]).toBe("frame");
  });

  it("the last byte of a frame is not also the start of the next (found by fuzzing)", () => {
    // NACK 00 FF FF 00, then FF 70: the NACK's final 00 and the FF after it are no start code.
    const bytes = hex("00ffff00ff7070");
    const whole = parseAll([bytes]);
    expect(whole).toEqual(["nack"]);
    expect(parseAll([...bytes].map((b) => new Uint8Array([b])))).toEqual(whole);
  });

  it("an extended frame of length 0 is a bad frame, not an empty body (found by fuzzing)", () => {
    expect(parseAll([hex("0000ffffff000000" + "00"), ACK])).toEqual(["bad-checksum", "ack"]);
  });

  it("a handler that pushes while a chunk is being parsed sees each frame once (a reply within write())", () => {
    const out: string[] = [];
    let fed = false;
    const p: FrameParser = new FrameParser((ev) => {
      out.push(ev.type);
      if (!fed) {
        fed = true;
        p.push(NACK); // re-entrant
      }
    });
    p.push(new Uint8Array([...ACK, ...ERROR_FRAME]));
    expect(out).toEqual(["ack", "error-frame", "nack"]); // stream order, each frame once
  });

  it("a handler that resets the parser mid-chunk stops that chunk's events", () => {
    const out: string[] = [];
    const p: FrameParser = new FrameParser((ev) => {
      out.push(ev.type);
      p.reset();
    });
    p.push(new Uint8Array([...ACK, ...ACK]));
    expect(out).toEqual(["ack"]);
    p.push(ACK);
    expect(out).toEqual(["ack", "ack"]);
  });

  it("random noise never throws and the buffer stays bounded", () => {
    const p = new FrameParser(() => {});
    let s = 3;
    for (let i = 0; i < 2000; i++) {
      const chunk = new Uint8Array(1 + (i % 40)).map(() => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s & 255));
      p.push(chunk);
    }
    expect((p as unknown as { buf: Uint8Array }).buf.length).toBeLessThanOrEqual(600);
  });
});
