// A virtual ISO/IEC 14443-4 card running the pindai card application (SPEC
// section 5): SELECT the applet and the credential file, READ BINARY,
// INTERNAL AUTHENTICATE. The simulator's readers carry APDUs to it: the PN532
// emulator inside its frames (sim/pn532/emulator.ts), the in-memory reader
// directly (sim/memory-reader.ts).
import { ed } from "../host/issuer/ed";
import { cardAuthMessage } from "../firmware/core/card";

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

const AID = [0xf0, 0x50, 0x49, 0x4e, 0x44, 0x41, 0x49, 0x01];

/** A card put on a reader: what it has selected and counted since the tap. */
export class CardInField {
  /** False once it has left the field (removeAfterReads). */
  present = true;
  /** INTERNAL AUTHENTICATE commands answered since the tap. */
  auths = 0;
  private applet = false;
  private fileSelected = false;
  private reads = 0;

  constructor(
    readonly card: VirtualCard,
    /** Where each INTERNAL AUTHENTICATE challenge received is kept, in order. */
    private readonly challenges: Uint8Array[],
  ) {}

  /** A new activation by the reader: nothing is selected. */
  activate(): void {
    this.applet = false;
    this.fileSelected = false;
  }

  /** The card's response APDU to command APDU c, or undefined once it has left the field. */
  answer(c: Uint8Array): number[] | undefined {
    if (!this.present) return undefined;
    const card = this.card;
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
        this.present = false; // pulled away: no answer, now or later
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

  /** How late the answer to the INTERNAL AUTHENTICATE just answered comes (a relay), or undefined: at once. */
  authDelayMs(): number | undefined {
    const delays = this.card.authDelaysMs;
    if (delays === undefined || delays.length === 0) return undefined;
    return delays[Math.max(0, Math.min(this.auths - 1, delays.length - 1))];
  }
}
