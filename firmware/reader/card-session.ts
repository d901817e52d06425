// The pindai card application (SPEC section 5) over any ISO/IEC 14443-4
// reader (hal/card-reader.ts): detect a card,
// SELECT the applet and the credential file, READ BINARY it in chunks until
// the whole COSE_Sign1 is read (its end found by the strict CBOR decoder),
// then INTERNAL AUTHENTICATE with a fresh random challenge. Each step is a
// bounded reader exchange; the session always ends with one callback.
//
// Relay window: the card's answer to INTERNAL AUTHENTICATE counts only if it
// arrives within authDeadlineMs of the command (a relay to a card elsewhere
// adds latency). A try that misses it is aborted and the next try sends a new
// challenge, so a late answer to the old one can never verify.
import { type Bytes, alloc, bytesOf, concat } from "../core/bytes";
import { cborDecode } from "../core/cbor";
import { CHALLENGE_LENGTH, MAX_CREDENTIAL_BYTES, type CardRead } from "../core/card";
import { DEFAULT_CARD_AUTH_MS } from "../core/policy";
import type { CardReader, CardReaderFault } from "../hal/card-reader";
import type { Random } from "../hal/random";
import { type ApduResult, apdu, parseResponse } from "./apdu";

/** SELECT by AID F0 50 49 4E 44 41 49 01 ("pindai" applet, proprietary RID F0). */
export const PINDAI_AID: Bytes = bytesOf([0xf0, 0x50, 0x49, 0x4e, 0x44, 0x41, 0x49, 0x01]);
export const CREDENTIAL_FILE: Bytes = bytesOf([0x00, 0x01]);
export const READ_CHUNK = 0xf0;

export type CardSessionError =
  | "NO_CARD"
  | "READER" // the reader exchange failed (detail says how)
  | "CARD_GONE" // the reader got no answer from the card: it left the field
  | "NO_APPLET"
  | "NO_FILE"
  | "BAD_FILE" // not a well-formed CBOR item, or larger than allowed
  | "AUTH_REFUSED" // INTERNAL AUTHENTICATE did not give 64 bytes and 90 00
  | "CARD_STATUS"; // another status word

export type CardSessionResult = { ok: true; read: CardRead } | { ok: false; error: CardSessionError; detail: string };

export interface CardSessionOptions {
  /** How long the reader may wait for a card (default 1000). */
  detectTimeoutMs?: number;
  /** Called once a card is in the field, before it is read (the app shows "checking"). */
  onDetected?: () => void;
  /** How long the card may take to answer INTERNAL AUTHENTICATE, from the command (default: core/policy.ts DEFAULT_CARD_AUTH_MS). */
  authDeadlineMs?: number;
  /** INTERNAL AUTHENTICATE tries, each with a fresh challenge (default 2). */
  authTries?: number;
}

export const AUTH_TRIES = 2;

type Done = (r: CardSessionResult) => void;

/** Read a card once: detect, select, read, authenticate, release. */
export function readCard(reader: CardReader, random: Random, done: Done, opts?: CardSessionOptions): void {
  const o = opts === undefined ? {} : opts;
  const detectMs = o.detectTimeoutMs === undefined ? 1000 : o.detectTimeoutMs;
  const authDeadlineMs = o.authDeadlineMs === undefined ? DEFAULT_CARD_AUTH_MS : o.authDeadlineMs;
  let authTriesLeft = o.authTries === undefined ? AUTH_TRIES : o.authTries;
  let file = alloc(0);
  let challenge = alloc(0);

  const fail = (error: CardSessionError, detail: string) => {
    // Release the target whatever happened; its outcome does not change ours.
    reader.release(() => done({ ok: false, error, detail }));
  };

  // A card that stopped answering is gone; anything else is the reader's failure.
  const failExchange = (fault: CardReaderFault | undefined) =>
    fault !== undefined && fault.error === "CARD_GONE" ? fail("CARD_GONE", fault.detail) : fail("READER", fault === undefined ? "NO_REPLY" : fault.detail);

  // One APDU with the reader's own timeouts and retries.
  const exchange = (cmd: Bytes, next: (r: ApduResult) => void) => {
    reader.transceive(cmd, undefined, (fault, response) => {
      if (fault !== undefined || response === undefined) return failExchange(fault);
      next(parseResponse(response));
    });
  };

  // INTERNAL AUTHENTICATE (SPEC 5 step 4): one exchange within the deadline per try, a new challenge each time.
  // A late or garbled answer is tried again; a bad reply or a card gone ends the session.
  const authenticate = () => {
    authTriesLeft--;
    challenge = random.bytes(CHALLENGE_LENGTH);
    reader.transceive(apdu(0x00, 0x88, 0x00, 0x00, challenge, 0x40), authDeadlineMs, (fault, response) => {
      if (fault !== undefined && (fault.error === "TIMEOUT" || fault.error === "LINK")) {
        if (authTriesLeft > 0) return authenticate();
        return fail("AUTH_REFUSED", fault.error === "TIMEOUT" ? "DEADLINE" : fault.detail);
      }
      if (fault !== undefined || response === undefined) return failExchange(fault);
      const r = parseResponse(response);
      if (!r.ok || r.data.length !== 64) return fail("AUTH_REFUSED", r.ok ? "LENGTH_" + r.data.length : r.error);
      const read: CardRead = { credential: file, challenge, signature: r.data };
      reader.release(() => done({ ok: true, read }));
    });
  };

  const readMore = () => {
    const off = file.length;
    exchange(apdu(0x00, 0xb0, Math.floor(off / 256), off & 0xff, undefined, READ_CHUNK), (r) => {
      if (!r.ok) return fail(r.error === "WRONG_PARAMETERS" ? "BAD_FILE" : "CARD_STATUS", r.error);
      if (r.data.length === 0) return fail("BAD_FILE", "EMPTY_READ");
      file = concat([file, r.data]);
      const parsed = cborDecode(file);
      if (parsed.ok) return authenticate();
      if (parsed.error !== "TRUNCATED") return fail("BAD_FILE", parsed.error);
      if (file.length >= MAX_CREDENTIAL_BYTES) return fail("BAD_FILE", "TOO_LARGE");
      readMore();
    });
  };

  const selectFile = () =>
    exchange(apdu(0x00, 0xa4, 0x02, 0x0c, CREDENTIAL_FILE, undefined), (r) => {
      if (!r.ok) return fail("NO_FILE", r.error);
      readMore();
    });

  const selectApplet = () =>
    exchange(apdu(0x00, 0xa4, 0x04, 0x00, PINDAI_AID, 0x00), (r) => {
      if (!r.ok) return fail("NO_APPLET", r.error);
      selectFile();
    });

  reader.detect(detectMs, (fault, card) => {
    if (fault !== undefined) {
      done({ ok: false, error: fault.error === "TIMEOUT" ? "NO_CARD" : "READER", detail: fault.detail });
      return;
    }
    if (card === undefined) {
      done({ ok: false, error: "NO_CARD", detail: "NO_TARGET" });
      return;
    }
    if (o.onDetected !== undefined) o.onDetected();
    selectApplet();
  });
}
