// The admin protocol's names and numbers (docs/SPEC.md section 6), shared by
// the device (app/admin.ts) and the host tools (host/issuer/device-client.ts).

/** The longest line the admin line takes: a key set of 16 KB in hex, with room. */
export const MAX_ADMIN_LINE = 40000;
/** A nonce from NONCE serves one ADMIN command, within this many milliseconds. */
export const NONCE_LIFETIME_MS = 120000;
export const NONCE_BYTES = 16;
/** Records per signed LOG answer. */
export const LOG_PAGE = 32;
/** Signed times outside this range are refused (2020-01-01 .. 2106-02-07, a u32). */
export const MIN_TIME = 1577836800;
export const MAX_TIME = 4294967295;
/** Display time limits for CONFIG (milliseconds the verdict stays on screen). */
export const MIN_DISPLAY_MS = 1000;
export const MAX_DISPLAY_MS = 120000;

/** Keys of a signed command's payload map. */
export const CMD = { DEVICE: 1, NONCE: 2, NAME: 3, ARG: 4 };
/** Keys of a signed answer's payload map. */
export const ANSWER = { DEVICE: 1, CHALLENGE: 2, KIND: 3, BODY: 4 };
/** Keys of the body of an answer that reports a change (kinds KEYSET, TIME, CONFIG, LOGCLEAR, WIPE, UNLOCK). */
export const RESULT = { WORDS: 1, STATUS: 2 };
/** Keys of a STATUS answer's body. */
export const STATUS = { VERSION: 1, KEYSET: 2, RTC: 3, TRUSTED: 4, FLOOR: 5, WARNINGS: 6, LOG_COUNT: 7, LOG_LAST: 8, LANG: 9, DISPLAY_MS: 10 };
/** Keys of a LOG answer's body; each record is [seq, time, verdict index, source, kid, nik hash, warnings]. */
export const LOG = { RECORDS: 1, MORE: 2, LAST: 3 };
/** Keys of CONFIG's argument map. */
export const CONFIG = { LANG: 1, DISPLAY_MS: 2 };

/** Signed commands (payload key 3). */
export const SIGNED_COMMANDS = ["TIME", "CONFIG", "LOG", "LOGCLEAR", "WIPE", "UNLOCK", "SCREEN"];

/**
 * Unsigned requests that make the device compute a signature (STATUS with a
 * challenge, KEYSET, an ADMIN that does not verify) share this budget per
 * window; over it they are answered ERR BUSY (a cable cannot keep a slow
 * device busy: at most 12 operations of about 1.1 s per 60 s on the 64 MHz
 * model, a fifth of its time; a fleet tool's round on one device (enroll,
 * key set, time, logs, each confirmed by a signed STATUS) takes about 6).
 */
export const SIGNATURE_BUDGET = 12;
export const SIGNATURE_WINDOW_MS = 60000;
