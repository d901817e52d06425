// npm start: a virtual verifier at the entrance, scripted so a newcomer sees
// what pindai does. Each step shows the device screen (terminal, and a PNG
// in the output folder) and what the LED and buzzer did.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { codeInPicture, qrPng } from "../host/issuer/qr-image";
import { SimDevice } from "./device";
import { DeviceClient, memoryLink } from "../host/issuer/device-client";
import { DEFAULT_CLEAR_AFTER_MS, KEYSET_POLICY } from "../firmware/core/policy";
import { Phone, tamper } from "./phone";
import { renderPng, renderText, SIGNAL_TEXT } from "./screen";
import { HOLDER, makeWorld } from "./world";

const OUT = process.env.PINDAI_DEMO_OUT ?? "sim-out";
const BUILD_TIME = 1_767_225_600; // 2026-01-01: an RTC earlier than this is not trusted
const say = (s = "") => console.log(s);

async function main(): Promise<number> {
  mkdirSync(OUT, { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  const world = makeWorld(now, KEYSET_POLICY.replay); // what pindai keyset signs by default: reject
  const config = { roots: world.roots, buildTime: BUILD_TIME, version: "demo", clearAfterMs: DEFAULT_CLEAR_AFTER_MS };
  let device = new SimDevice(config);
  const phone = new Phone(world.qrSigner, HOLDER, () => device.rtc.seconds());
  let n = 0;
  const verdicts: string[] = [];

  const show = async (title: string) => {
    n++;
    const screen = device.screen;
    say(`\n== ${n}. ${title}`);
    say(renderText(screen));
    say(`   ${SIGNAL_TEXT[device.indicator.events[device.indicator.events.length - 1] ?? "off"]}`);
    const file = join(OUT, `step-${String(n).padStart(2, "0")}.png`);
    writeFileSync(file, await renderPng(screen));
    verdicts.push(device.app.lastOutcome?.verdict ?? "-");
  };

  say("pindai simulator: a verifier at the entrance, no network, no server.");
  say("(pindai's own open QR/card profile, not the official IKD format.)");

  await show("A new device out of the box: no key set, clock never set");
  device.scan(phone.current());
  await show("It refuses any code: a device without keys or a clock never says OK");

  say("\n   The agency provisions it over its admin port (pindai device / pindai fleet):");
  const keysetLine = `KEYSET ${Buffer.from(world.keysetBytes).toString("hex")}`;
  say(`   > ${keysetLine.slice(0, 60)}...`);
  say(`   < ${device.admin(keysetLine)}`);
  say(`   > ADMIN <TIME ${now}, signed by the agency's root key for this device and a fresh nonce (a clock never set takes no other)>`);
  say(`   < ${device.signed(world.rootKey, "TIME", now).replace(/ ([0-9a-f]{24})[0-9a-f]{100,}$/, " $1... (signed by the device, with its STATUS)")}`);
  say("\n   Someone with ten seconds at the port tries to set the clock back an hour:");
  say(`   > TIME ${now - 3600}`);
  say(`   < ${device.admin(`TIME ${now - 3600}`)}`);
  device.clear();

  // The phone's code goes through a real QR image and the camera decoder.
  const code = phone.current();
  const png = PNG.sync.read(await qrPng(code));
  writeFileSync(join(OUT, "phone-qr.png"), PNG.sync.write(png));
  const seen = await codeInPicture({ width: png.width, height: png.height, rgba: new Uint8ClampedArray(png.data) });
  if (seen !== code) throw new Error("the camera could not read the phone's QR");
  device.scan(seen);
  await show("The holder shows a fresh 90-second code: green, name and date of birth to match");

  device.clear();
  device.scan(code);
  await show("The same code again (a screenshot): refused, ask for a fresh code");

  device = device.reboot(config);
  device.scan(code);
  await show("Power cut and back on: still refused (the replay memory is kept in flash)");

  device.clear();
  device.rtc.advance(120);
  device.scan(code);
  await show("Two minutes later, the same code: expired");

  device.clear();
  device.scan(tamper(phone.refresh()));
  await show("A forged code (one bit changed): rejected");

  device.clear();
  await device.tap(world.cards.genuine);
  await show("The holder taps the ID card instead: genuine card, it signs a fresh challenge");

  device.clear();
  await device.tap(world.cards.clone);
  await show("A copied card (same file, no private key): rejected");

  device.clear();
  device.rtc.powerLoss();
  device.scan(phone.refresh());
  await show("The clock battery died: the device refuses until its clock is set again");

  say(`\nAudit log, exported with a signed LOG and checked against the device's own key (no names; a keyed hash of the NIK):`);
  // While the clock is not trusted no admin key's window can be judged: only a root signs (SPEC 6.4).
  const client = new DeviceClient(memoryLink((l) => device.admin(l)), world.rootKey);
  for (const r of await client.logs()) say(`   ${r.seq} ${r.time} ${r.verdict} ${r.source} ${r.kid} ${r.nikHash}`);
  say(`\nScreens written to ${OUT}/`);

  const want = ["-", "NO_KEYSET", "OK", "REPLAYED", "REPLAYED", "EXPIRED", "BAD_SIGNATURE", "OK", "CARD_AUTH_FAILED", "CLOCK_NOT_SET"];
  const ok = JSON.stringify(verdicts) === JSON.stringify(want);
  say(ok ? "Demo complete." : `Demo FAILED: verdicts ${verdicts.join(",")}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 50).unref();
  },
  (e) => {
    console.error("demo failed:", e);
    process.exit(1);
  },
);
