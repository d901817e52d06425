// The verifier app on memory HALs and virtual timers, with the world's key
// set installed and its clock set by a root: ready to verify, in memory.
import { VerifierApp } from "../../firmware/app/verifier";
import { ManualRtc, MemoryStorage, SeededRandom, Transcript, VirtualTimers } from "../../firmware/targets/memory/hal";
import type { World } from "../../sim/world";

export function provisionedApp(world: World, now: number, o: { seed: number; clearAfterMs: number }) {
  const out = new Transcript();
  const timers = new VirtualTimers();
  const random = new SeededRandom(o.seed);
  const app = new VerifierApp(
    { display: out, indicator: out, storage: new MemoryStorage(), rtc: new ManualRtc(), timers, random },
    { roots: world.roots, buildTime: now - 86400, version: "test", lang: "en", clearAfterMs: o.clearAfterMs },
  );
  const installed = app.installKeyset(world.keysetBytes);
  if (!installed.ok) throw new Error("the test key set did not install: " + installed.reason);
  app.setTime(now, world.roots[0].kid, true);
  return { app, out, timers, random };
}
