// What the guard reads. Bahasa Indonesia by default, English selectable.
// Plain words for every verdict code (SPEC section 3); ASCII only, since
// cheap displays and the Espruino uploader handle nothing else.
// LANGS is the one list of languages: the device, the build config, the CLI
// and the simulator all check against it, so a language is added here only.
import type { Verdict, Warning } from "../core/verdict";

/** The languages, in the order of the code kept in flash (its index); the first is the default. */
export const LANGS = ["id", "en"] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = LANGS[0];

/** True when s names a language (a CONFIG, a build config, a command line). */
export function isLang(s: string | undefined): s is Lang {
  for (let i = 0; i < LANGS.length; i++) if (LANGS[i] === s) return true;
  return false;
}

/** The byte a language is kept as in flash. */
export function langCode(lang: Lang): number {
  for (let i = 0; i < LANGS.length; i++) if (LANGS[i] === lang) return i;
  return 0;
}

/** The language a flash byte names; an unknown byte is the default. */
export function langOfCode(code: number): Lang {
  return code >= 0 && code < LANGS.length ? LANGS[code] : DEFAULT_LANG;
}

export interface Strings {
  ok: string;
  rejected: string;
  ready: string;
  scanPrompt: string;
  checking: string;
  name: string;
  dob: string;
  nik: string;
  issuer: string;
  card: string;
  clock: string;
  /** A device that cannot verify (no key set, clock, storage): amber, never the holder's red. */
  notReady: string;
  callAdmin: string;
  /** The flash the device keeps its stores in cannot be read or written. */
  storageError: string;
  /** A read to repeat (the card was not read): amber, not a refusal. */
  retry: string;
  /** The idle screen's key set row: "Keys v3 (12 d)"; none installed. */
  keys: string;
  days: string;
  noKeys: string;
  reasons: Record<Verdict, string>;
  /** Where a card needs other words than a QR code. */
  cardExpired: string;
  cardNotYetValid: string;
  warnings: Record<Warning, string>;
}

// A language's words are made for each screen and let go with it: on
// Espruino a language is about 160 variables of RAM, which a Pico-class
// board needs for a verification (a screen keeps only the words it shows).
function idStrings(): Strings {
  return {
    ok: "SAH",
    rejected: "DITOLAK",
    ready: "SIAP",
    scanPrompt: "Arahkan ke kode QR atau tempelkan KTP",
    checking: "Memeriksa...",
    name: "Nama",
    dob: "Tgl lahir",
    nik: "NIK",
    issuer: "Penerbit",
    card: "Kartu",
    clock: "Jam alat",
    notReady: "TAK SIAP",
    callAdmin: "Panggil administrator",
    storageError: "Memori alat rusak",
    retry: "ULANGI",
    keys: "Kunci",
    days: "hari",
    noKeys: "Kunci: belum ada",
    reasons: {
      OK: "Sah",
      NOT_A_CREDENTIAL: "Bukan kode identitas pindai",
      MALFORMED: "Kode rusak atau tidak lengkap",
      UNSUPPORTED_ALG: "Jenis tanda tangan tidak didukung",
      UNKNOWN_KEY: "Penerbit tidak dikenal",
      KEY_NOT_VALID: "Kunci penerbit tidak berlaku",
      BAD_SIGNATURE: "Tanda tangan palsu atau kode diubah",
      VALIDITY_TOO_LONG: "Masa berlaku kode terlalu panjang",
      NOT_YET_VALID: "Kode belum berlaku (cek jam)",
      EXPIRED: "Kode kedaluwarsa, minta kode baru",
      REVOKED: "Identitas ini telah dicabut",
      REPLAYED: "Kode ini sudah dipakai, minta kode baru",
      CLOCK_NOT_SET: "Jam alat belum diatur",
      NO_KEYSET: "Alat belum diisi kunci penerbit",
      CARD_ERROR: "Kartu tidak terbaca, tempel ulang",
      CARD_AUTH_FAILED: "Kartu tidak asli (salinan)",
    },
    cardExpired: "Kartu sudah habis masa berlakunya",
    cardNotYetValid: "Kartu belum berlaku (cek jam)",
    warnings: {
      KEYSET_STALE: "Kunci penerbit perlu diperbarui",
      CLOCK_NOT_TRUSTED: "Jam alat tidak terpercaya",
      ALREADY_USED: "Kode ini sudah pernah dipakai",
      NO_KEYSET: "Belum ada kunci penerbit",
    },
  };
}

function enStrings(): Strings {
  return {
    ok: "VALID",
    rejected: "REJECTED",
    ready: "READY",
    scanPrompt: "Show a QR code or tap an ID card",
    checking: "Checking...",
    name: "Name",
    dob: "Born",
    nik: "NIK",
    issuer: "Issuer",
    card: "Card",
    clock: "Device time",
    notReady: "NOT READY",
    callAdmin: "Call administrator",
    storageError: "Device storage error",
    retry: "TRY AGAIN",
    keys: "Keys",
    days: "d",
    noKeys: "Keys: none",
    reasons: {
      OK: "Valid",
      NOT_A_CREDENTIAL: "Not a pindai ID code",
      MALFORMED: "Damaged or incomplete code",
      UNSUPPORTED_ALG: "Unsupported signature type",
      UNKNOWN_KEY: "Unknown issuer",
      KEY_NOT_VALID: "Issuer key not valid",
      BAD_SIGNATURE: "Forged signature or altered code",
      VALIDITY_TOO_LONG: "Code validity too long",
      NOT_YET_VALID: "Code not yet valid (check clock)",
      EXPIRED: "Code expired, ask for a fresh one",
      REVOKED: "This identity has been revoked",
      REPLAYED: "Code already used: ask for a fresh code",
      CLOCK_NOT_SET: "Device clock not set",
      NO_KEYSET: "No issuer keys installed",
      CARD_ERROR: "Card not read, tap again",
      CARD_AUTH_FAILED: "Card is not genuine (a copy)",
    },
    cardExpired: "Card has expired",
    cardNotYetValid: "Card not yet valid (check clock)",
    warnings: {
      KEYSET_STALE: "Issuer keys need updating",
      CLOCK_NOT_TRUSTED: "Device clock not trusted",
      ALREADY_USED: "This code was used before",
      NO_KEYSET: "No issuer keys installed",
    },
  };
}

const MAKERS: Record<Lang, () => Strings> = { id: idStrings, en: enStrings };

export function strings(lang: Lang): Strings {
  return MAKERS[lang] === undefined ? MAKERS[DEFAULT_LANG]() : MAKERS[lang]();
}
