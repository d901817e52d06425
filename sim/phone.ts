// The holder's phone: shows a presentation that it re-issues every
// `refreshSeconds` (a new cti and iat), as the real app changes its code.
import { base45Decode, base45Encode } from "../firmware/core/base45";
import { issuePresentation, type Signer } from "../host/issuer/issuer";
import type { Identity } from "../host/issuer/cose-sign";
import { PRESENTATION_SECONDS } from "../firmware/core/policy";

export class Phone {
  private text = "";
  private issuedAt = -Infinity;

  constructor(
    private readonly signer: Signer,
    readonly identity: Identity,
    private readonly now: () => number,
    private readonly ttl = PRESENTATION_SECONDS,
    private readonly refreshSeconds = 60,
  ) {}

  /** The code on screen now. */
  current(): string {
    const t = this.now();
    if (t - this.issuedAt >= this.refreshSeconds || t < this.issuedAt) {
      this.text = issuePresentation(this.signer, this.identity, { iat: t, ttl: this.ttl });
      this.issuedAt = t;
    }
    return this.text;
  }

  /** Force a new code (the holder pulls to refresh). */
  refresh(): string {
    this.issuedAt = -Infinity;
    return this.current();
  }
}

/** A forgery of a PD1: code: the same bytes with one bit of the signature changed. */
export function tamper(code: string): string {
  const raw = base45Decode(code.slice(4));
  if (!raw.ok) throw new Error("not a Base45 PD1: code");
  raw.bytes[raw.bytes.length - 1] ^= 1;
  return "PD1:" + base45Encode(raw.bytes);
}
