// Write the seed corpus: every target starts from real data, the public test
// vectors (test/vectors) and what the host tools issue in a fixed simulator
// world. Deterministic (fixed keys, Ed25519 is deterministic), and files are
// named by content, so running it again adds nothing.
//   npx tsx fuzz/seed.ts
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ed } from "../host/issuer/ed";
import { issuePresentation } from "../host/issuer/issuer";
import { cardPayload, keysetPayload, presentationPayload, sign1 } from "../host/issuer/cose-sign";
import { base45Decode, base45Encode } from "../firmware/core/base45";
import { decodeSign1 } from "../firmware/core/cose";
import { cardAuthMessage } from "../firmware/core/card";
import { ACK, ERROR_FRAME, NACK, commandFrame, encodeFrame } from "../firmware/reader/pn532/frame";
import { HOLDER, makeWorld } from "../sim/world";
import { CORPUS_DIR } from "./run";

const T0 = 1_800_000_000;
const w = makeWorld(T0, 1, "pindai fuzz seeds");
const ascii = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const u8 = (...parts: Array<Uint8Array | number[]>) => new Uint8Array(parts.flatMap((p) => Array.from(p)));

const cti = new Uint8Array(16).fill(0x42);
const qrText = issuePresentation(w.qrSigner, HOLDER, { iat: T0, cti });
const qrCose = (base45Decode(qrText.slice(4)) as { bytes: Uint8Array }).bytes;
const untagged = issuePresentation(w.qrSigner, { ...HOLDER, name: "Dewi \u00c9l\u00e9onore \u6c34", pob: undefined }, { iat: T0, cti, tagged: false });
const withCrit = sign1(w.qrSigner.secretKey, w.qrSigner.kid, presentationPayload({ iss: "x", iat: T0, exp: T0 + 90, cti, idn: HOLDER }), {
  protectedExtra: new Map([[2, [99]]]),
});
const card = w.cards.genuine;
const payloadOf = (cose: Uint8Array) => {
  const r = decodeSign1(cose);
  if (!r.ok) throw new Error("seed is not a COSE_Sign1");
  return r.sign1.payload;
};
const keysetPayloads = [
  payloadOf(w.keysetBytes),
  keysetPayload({ version: 9, issued: T0, nextUpdate: T0 + 1, keys: [], revoked: [cti, ascii("KTP-9")], policy: { skew: 0, maxValidity: 300, replay: 2 } }),
];
const cborVectors = JSON.parse(readFileSync(new URL("../test/vectors/cbor_appendix_a.json", import.meta.url), "utf8")) as Array<{ hex: string }>;

// A card session script (fuzz/targets.ts, card-session): op 1 = D5 reply with data,
// op 3 = InDataExchange success (status 00, data, 90 00); each op then a length and the data.
function cardScript(credential: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const ops: number[] = [];
  const op = (kind: number, data: Uint8Array | number[]) => ops.push(kind, data.length, ...Array.from(data));
  op(1, [0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0x01, 0x02, 0x03, 0x04]); // InListPassiveTarget: one type A target
  op(3, []); // SELECT applet
  op(3, []); // SELECT file
  for (let off = 0; off < credential.length; off += 0xf0) op(3, credential.subarray(off, off + 0xf0)); // READ BINARY
  op(3, ed.sign(cardAuthMessage(new Uint8Array(32).fill(7)), secretKey)); // INTERNAL AUTHENTICATE (the target's fixed challenge)
  op(1, [0x00]); // InRelease
  return Uint8Array.from(ops);
}

const reply = u8([0x00, 0x00, 0xff, 0x06, 0xfa, 0xd5, 0x03, 0x32, 0x01, 0x06, 0x07, 0xe8, 0x00]);
const seeds: Record<string, Uint8Array[]> = {
  base45: ["BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", qrText.slice(4), untagged.slice(4), base45Encode(withCrit)].map(ascii),
  cbor: [
    ...cborVectors.map((v) => new Uint8Array(Buffer.from(v.hex, "hex"))),
    // The strict profile's edges (SPEC 1), as test/conformance.test.ts has them, and -2^53.
    ...["1817", "5f4101ff", "a201010102", "62c328", "81".repeat(16) + "00", "1b0020000000000000", "3b001fffffffffffff", "0000"].map(
      (h) => new Uint8Array(Buffer.from(h, "hex")),
    ),
    qrCose, card.credential, w.keysetBytes, ...keysetPayloads,
  ],
  cose: [qrCose, (base45Decode(untagged.slice(4)) as { bytes: Uint8Array }).bytes, withCrit, card.credential, w.keysetBytes],
  keyset: [...keysetPayloads, w.keysetBytes],
  claims: [payloadOf(qrCose), payloadOf(card.credential), payloadOf(w.cards.expired.credential), cardPayload({ iss: "i", sub: "S", iat: 0, exp: 1, cardPublicKey: new Uint8Array(32), idn: HOLDER })],
  "card-session": [
    cardScript(card.credential, card.secretKey),
    cardScript(w.cards.expired.credential, card.secretKey),
    Uint8Array.of(1, 1, 0), // no card
    u8([2, ERROR_FRAME.length], ERROR_FRAME), // the reader's error frame
    u8([1, 10, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0x01, 0x02, 0x03, 0x04], [1, 3, 0x00, 0x6a, 0x82]), // no applet (6A 82)
    u8([1, 10, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0x01, 0x02, 0x03, 0x04], [3, 0], [3, 0], [1, 3, 0x00, 0x6b, 0x00]), // read past the end
    u8([1, 10, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0x01, 0x02, 0x03, 0x04], [1, 3, 0x01, 0x90, 0x00]), // card gone (status 01)
  ],
  // First byte: how the target chunks the rest.
  "pn532-frames": [
    u8([0x00], ACK, reply),
    u8([0xff], ACK, NACK, ERROR_FRAME, reply),
    u8([0x35], [0x55, 0x55, 0xaa], reply.map((b, i) => (i === 8 ? b ^ 1 : b)), reply),
    u8([0x12], encodeFrame(new Uint8Array(262).map((_, i) => i & 255))),
    u8([0x07], commandFrame(0x40, u8([0x01, 0x00, 0xa4, 0x04, 0x00, 0x08], ascii("\xf0PINDAI\x01"), [0x00]))),
    u8([0x01], [0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00], ACK), // an extended frame of length 0
  ],
  // First byte: the line limit (1 + byte).
  "scan-line": [
    u8([0xff], ascii(qrText + "\r\n" + untagged + "\n")),
    u8([0x02], ascii("short\rway too long for nine\nok\r\n")),
    u8([0x40], ascii("https://example.com/\n\n\r\nPD1:\n")),
  ],
};

let written = 0;
for (const [target, list] of Object.entries(seeds)) {
  const dir = join(CORPUS_DIR, target);
  mkdirSync(dir, { recursive: true });
  for (const s of list) {
    writeFileSync(join(dir, createHash("sha1").update(s).digest("hex")), s);
    written++;
  }
}
console.log(`wrote ${written} seeds into ${CORPUS_DIR}`);
