// A device provisioned as an agency does it, through its admin port: the key
// set, then a signed time (pindai device keyset, pindai device time).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { newKey, writeKeyFile } from "../../host/issuer/keyfile";
import type { World } from "../../sim/world";
import { runCli } from "./cli";

export async function provisionOverAdmin(port: string, world: World, dir: string, now: number): Promise<void> {
  const adminKey = join(dir, "admin.json");
  writeKeyFile(adminKey, newKey(["admin"], now - 86400, now + 86400, new Uint8Array(world.adminKey.secretKey)));
  const keyset = join(dir, "keyset.cbor");
  writeFileSync(keyset, world.keysetBytes);
  const k = await runCli("device", "--port", port, "keyset", "--keyset", keyset);
  expect(k.code, k.err).toBe(0);
  // The first TIME on an untrusted clock is a root's (issue 21 finding 11); the admin key serves once the clock is trusted.
  const rootKey = join(dir, "root.json");
  writeKeyFile(rootKey, newKey(["root"], now - 86400, now + 86400, new Uint8Array(world.rootKey.secretKey)));
  const t = await runCli("device", "--port", port, "--admin-key", rootKey, "time");
  expect(t.code, t.err).toBe(0);
}
