// The limits of SPEC version 1 in one place. The verifier refuses anything
// beyond them; the issuer tools (host/) import the same constants and refuse
// to make what a device would refuse.

/** NIK: exactly this many digits (SPEC 2, idn key 1). */
export const NIK_DIGITS = 16;
/** Name and place of birth: characters (code points), SPEC 2 idn keys 2 and 5. */
export const MAX_NAME_CHARS = 100;
export const MAX_POB_CHARS = 100;
/** Presentation id (cti): bytes. */
export const MIN_CTI_BYTES = 8;
export const MAX_CTI_BYTES = 16;
/** Card serial (the card credential's sub): characters. */
export const MAX_SERIAL_CHARS = 64;

/** The most characters a QR code can carry in alphanumeric mode (version 40-L). */
export const MAX_QR_TEXT = 4296;
/** A card credential file; the reader stops reading at this size. */
export const MAX_CREDENTIAL_BYTES = 2048;

/** A signed key set, and what it may list (SPEC 4). */
export const MAX_KEYSET_BYTES = 16384;
export const MAX_KEYS = 64;
export const MAX_REVOKED = 1024;
/** Policy: clock skew 0..MAX_SKEW s, presentation validity 1..MAX_VALIDITY s. */
export const MAX_SKEW = 300;
export const MAX_VALIDITY = 300;
