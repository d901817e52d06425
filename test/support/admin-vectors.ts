// The admin protocol's test vectors (docs/SPEC.md section 6): a device on
// in-memory hardware with a seeded random source, an admin key from a fixed
// seed, and the exact lines that go back and forth. Deterministic, so the
// committed docs/vectors/admin.json pins the bytes.
import { VerifierApp } from "../../firmware/app/verifier";
import { AdminService } from "../../firmware/app/admin";
import { ManualRtc, MemoryStorage, SeededRandom, Transcript, VirtualTimers } from "../../firmware/targets/memory/hal";
import { signedCommand } from "../../host/issuer/device-client";
import { keysetPayload, sign1 } from "../../host/issuer/cose-sign";
import { ed } from "../../host/issuer/ed";
import { hex, kidOf } from "../../host/issuer/keyfile";

export interface AdminVectors {
  about: string;
  rootSeed: string;
  adminSeed: string;
  keyset: string;
  exchanges: Array<{ note: string; request: string; reply: string }>;
}

const seed = (b: number) => new Uint8Array(32).fill(b);

export function adminVectors(): AdminVectors {
  const rootSeed = seed(1);
  const adminSeed = seed(4);
  const rootPub = ed.getPublicKey(rootSeed);
  const adminPub = ed.getPublicKey(adminSeed);
  const admin = { secretKey: adminSeed, kid: kidOf(adminPub) };
  const T = 1_800_000_000;
  const keyset = sign1(
    rootSeed,
    kidOf(rootPub),
    keysetPayload({ version: 1, issued: T - 3600, nextUpdate: T + 86400, keys: [{ kid: admin.kid, publicKey: adminPub, nbf: T - 86400, exp: T + 86400, usage: 4 }], revoked: [], policy: { skew: 30, maxValidity: 90, replay: 2 } }),
  );
  const out = new Transcript();
  const rtc = new ManualRtc();
  const app = new VerifierApp(
    { display: out, indicator: out, storage: new MemoryStorage(), rtc, timers: new VirtualTimers(), random: new SeededRandom(6) },
    { roots: [{ kid: kidOf(rootPub), publicKey: rootPub }], buildTime: T - 86400 * 30, version: "vectors", lang: "en", tables: false },
  );
  const svc = new AdminService(app);
  const exchanges: AdminVectors["exchanges"] = [];
  const ask = (note: string, request: string) => {
    const reply = svc.handle(request);
    exchanges.push({ note, request, reply });
    return reply;
  };
  const [, id] = ask("the device's id and public key", "ID").split(" ");
  const device = Buffer.from(id, "hex");
  const root = { secretKey: rootSeed, kid: kidOf(rootPub) };
  ask("an unsigned TIME is refused", `TIME ${T}`);
  ask("the key set with the challenge 10..1f: the answer is signed, with the STATUS after the install", "KEYSET " + hex(keyset) + " 101112131415161718191a1b1c1d1e1f");
  let nonce = ask("a nonce for the next ADMIN request", "NONCE").slice(3);
  ask("TIME signed by the admin key while the clock is not trusted: refused (only a root may sign now)", signedCommand(admin, device, Buffer.from(nonce, "hex"), "TIME", T));
  nonce = ask("a nonce", "NONCE").slice(3);
  const time = signedCommand(root, device, Buffer.from(nonce, "hex"), "TIME", T);
  ask("TIME 1800000000 signed by the root for this device and nonce; the answer is signed over the nonce", time);
  ask("the same line again: the nonce is spent", time);
  ask("STATUS in words", "STATUS");
  ask("STATUS signed by the device key for the challenge 00..0f", "STATUS 000102030405060708090a0b0c0d0e0f");
  nonce = ask("a nonce", "NONCE").slice(3);
  ask("CONFIG {1: \"id\"} signed by the admin key (the clock is trusted now)", signedCommand(admin, device, Buffer.from(nonce, "hex"), "CONFIG", new Map([[1, "id"]])));
  nonce = ask("a nonce", "NONCE").slice(3);
  ask("SCREEN, signed: the frame on the panel now (no panel driver here: the idle screen laid out on a nominal 128x64, in the language CONFIG chose), answered signed by the device", signedCommand(admin, device, Buffer.from(nonce, "hex"), "SCREEN"));
  nonce = ask("a nonce", "NONCE").slice(3);
  ask("LOG from the oldest record, signed; the answer is signed by the device", signedCommand(admin, device, Buffer.from(nonce, "hex"), "LOG", 0));
  return {
    about: "pindai admin protocol test vectors (docs/SPEC.md section 6). Seeds are 32 repeated bytes; the device's random source is the SeededRandom(6) of firmware/targets/memory/hal.ts.",
    rootSeed: hex(rootSeed),
    adminSeed: hex(adminSeed),
    keyset: hex(keyset),
    exchanges,
  };
}
