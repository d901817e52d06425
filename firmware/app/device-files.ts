// The flash files this firmware writes, by name: anything else in a device's
// flash was put there by someone else (a boot file left by an unlocked
// console, a planted table) and the Espruino target removes it at boot
// (targets/espruino/main.ts, issue 21). Table files are named in
// app/table-files.ts: every flash access asks about them, while these lists
// are read only at boot and by UNLOCK (on Espruino they are in the boot part).
import { isTableFile } from "./table-files";

const EXACT = ["device.key", "audit.key", "keyset.0", "keyset.1", "keyset.floor", "keyset.hash", "clock.floor", "config", "random.boot", "tamper.boot"];
/**
 * The Espruino image's files (host/src/flash-espruino.ts): the image, its one-line boot loader
 * and its parts, loaded only when called (host/build/espruino-parts.js; the build refuses a
 * part not named here).
 */
const IMAGE_FILES = ["pindai.img", ".bootcde", "pindai.adm", "pindai.tbl", "pindai.sig", "pindai.curve", "pindai.card", "pindai.qr", "pindai.scr", "pindai.sha", "pindai.boot", "pindai.cold", "pindai.sto", "pindai.lay", "pindai.kss"];
/** Ring pages: a prefix and a page number. */
const NUMBERED = ["audit.run.", "audit.", "replay."];

function digits(s: string): boolean {
  if (s.length === 0 || s.length > 4) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A file of the image itself, which UNLOCK keeps (the code running then is read from it in place). */
export function isImageFile(name: string): boolean {
  for (let i = 0; i < IMAGE_FILES.length; i++) if (name === IMAGE_FILES[i]) return true;
  return false;
}

export function isDeviceFile(name: string): boolean {
  for (let i = 0; i < EXACT.length; i++) if (name === EXACT[i]) return true;
  if (isImageFile(name)) return true;
  for (let i = 0; i < NUMBERED.length; i++) {
    const p = NUMBERED[i];
    if (name.length > p.length && name.substring(0, p.length) === p && digits(name.substring(p.length))) return true;
  }
  return isTableFile(name);
}
