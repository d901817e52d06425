// The card path over a real pty pair (socat) with node-serialport on both
// ends, and `pindai card personalize` / `pindai card read` as an agency uses them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attachPty, type PtyPair } from "../sim/pn532/attach";
import { readCardOnPort } from "../host/src/card-read";
import { readCardImage } from "../host/issuer/card-image";
import { verifyCard } from "../firmware/core/card";
import { runCli } from "./support/cli";
import { haveTool } from "./support/tools";
import { cardWorld } from "./support/cards";
import { T0 } from "./support/fixtures";

const HAVE_SOCAT = haveTool("socat");
const world = cardWorld();
const fast = { ackTimeoutMs: 50, replyTimeoutMs: 300, detectTimeoutMs: 300 };

const run = runCli;

describe.skipIf(!HAVE_SOCAT)("card reader over a real pty (socat)", () => {
  let pty: PtyPair;
  beforeAll(async () => {
    pty = await attachPty();
  });
  afterAll(async () => {
    await pty?.close();
  });

  it("reads a valid card and verifies it; a clone fails; no card is NO_CARD", async () => {
    pty.emulator.tap(world.valid);
    const r = await readCardOnPort(pty.hostPath, fast);
    expect(r.ok).toBe(true);
    if (r.ok) expect(verifyCard(r.read, world.keyset, { now: T0, trusted: true }).verdict).toBe("OK");

    pty.emulator.tap(world.clone);
    const c = await readCardOnPort(pty.hostPath, fast);
    expect(c.ok && verifyCard(c.read, world.keyset, { now: T0, trusted: true }).verdict).toBe("CARD_AUTH_FAILED");

    pty.emulator.tap(undefined);
    const n = await readCardOnPort(pty.hostPath, fast);
    expect(n.ok ? "ok" : n.error).toBe("NO_CARD");
  });

  it("under flipped, dropped and garbage bytes it never says OK for a bad card and never hangs", async () => {
    for (let seed = 1; seed <= 4; seed++) {
      pty.emulator.faults = { seed, flip: 0.01, drop: 0.01, garbage: 0.3 };
      for (const card of [world.clone, world.expired, world.revoked]) {
        pty.emulator.tap(card);
        const r = await readCardOnPort(pty.hostPath, fast);
        const v = r.ok ? verifyCard(r.read, world.keyset, { now: T0, trusted: true }).verdict : "CARD_ERROR";
        expect(v).not.toBe("OK");
      }
    }
    pty.emulator.faults = {};
  }, 60_000);

  it("pindai card personalize makes a card the emulator serves; pindai card read gives its verdict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-card-"));
    const f = (n: string) => join(dir, n);
    expect((await run("keygen", "--usage", "root", "--out", f("root.json"))).code).toBe(0);
    expect((await run("keygen", "--usage", "card", "--out", f("card-issuer.json"))).code).toBe(0);
    expect((await run("keyset", "--root", f("root.json"), "--version", "1", "--key", f("card-issuer.json"), "--out", f("ks.cbor"))).code).toBe(0);
    const p = await run("card", "personalize", "--key", f("card-issuer.json"), "--serial", "KTP-7", "--nik", "3171010101900002",
      "--name", "Budi Santoso", "--dob", "1990-01-01", "--sex", "L", "--out", f("card.json"));
    expect(p.code, p.err).toBe(0);
    const img = readCardImage(f("card.json"));
    pty.emulator.tap({ serial: img.serial, credential: img.credential, secretKey: img.secretKey });
    const r = await run("card", "read", "--port", pty.hostPath, "--root", f("root.json"), "--keyset", f("ks.cbor"), "--json", "--timeout", "300");
    expect(r.code, r.err + r.out).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ verdict: "OK", name: "Budi Santoso", nikMasked: "************0002", serial: "KTP-7" });

    pty.emulator.tap(undefined);
    const none = await run("card", "read", "--port", pty.hostPath, "--timeout", "200", "--json");
    expect(none.code).toBe(1);
    expect(JSON.parse(none.out)).toMatchObject({ verdict: "CARD_ERROR", error: "NO_CARD" });

    writeFileSync(f("x"), "");
    const bad = await run("card", "read", "--port", f("missing-port"));
    expect(bad.code).toBe(1); // a port tried and failed (pindai --help)
  }, 30_000);
});
