// The Espruino image erases at boot every flash file the firmware did not
// write (app/device-files.ts, issue 21 finding 4). So every file the device
// does write must be on that list, or a reboot would throw away its own state
// (a key set's hash, a ring page): this runs a device through everything that
// writes flash and checks each file it left.
import { describe, expect, it } from "vitest";
import { isDeviceFile } from "../firmware/app/device-files";
import { issuePresentation } from "../host/issuer/issuer";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld } from "../sim/world";
import { T0 } from "./support/fixtures";

describe("the firmware's own flash files", () => {
  it("every file a provisioned, used, logged, wiped and re-provisioned device writes is one the boot sweep keeps", async () => {
    const world = makeWorld(T0, 1);
    const opts = { roots: world.roots, buildTime: T0 - 86400, version: "test", clearAfterMs: 60_000, lang: "en" as const };
    let d = new SimDevice(opts);
    d.provision(world, T0);
    d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: d.rtc.seconds() }));
    d = d.reboot(opts);
    d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: d.rtc.seconds() }));
    expect(d.signed(world.adminKey, "CONFIG", new Map([[1, "id"]]))).toMatch(/^OK CONFIG/);
    expect(d.signed(world.adminKey, "WIPE")).toMatch(/^OK WIPE/);
    d.provision(world, d.rtc.seconds());
    const names = Object.keys(d.flash.files);
    expect(names).toContain("keyset.hash");
    expect(names.length).toBeGreaterThan(6);
    expect(names.filter((n) => !isDeviceFile(n))).toEqual([]);
    // and the list is not a blanket yes
    for (const foreign of [".boot0", ".bootrst", "x", "keyset.9", "replay.db0", "tB"]) expect(isDeviceFile(foreign), foreign).toBe(false);
  });
});
