// npm start [-- --lang id|en]: a virtual verifier at the entrance, scripted so
// a newcomer sees what pindai does. Each step shows the device screen
// (terminal, and a PNG in the output folder) and what the LED and buzzer did;
// the narration is in the screens' language.
import "../firmware/targets/node/natives"; // first: the core verifies through OpenSSL, as on a Linux-class device
import { writeFileSync } from "node:fs";
import { makeFolder } from "../firmware/targets/node/make-folder";
import { join } from "node:path";
import { PNG } from "pngjs";
import { codeInPicture, qrPng } from "../host/issuer/qr-image";
import { SimDevice } from "./device";
import { DeviceClient, memoryLink } from "../host/issuer/device-client";
import { DEFAULT_CLEAR_AFTER_MS, KEYSET_POLICY } from "../firmware/core/policy";
import { Phone, tamper } from "./phone";
import { PANEL_NAMES, type PanelName, renderPanelPng, renderPng, renderText, SIGNAL_TEXT } from "./screen";
import { HOLDER, makeWorld } from "./world";
import { DEFAULT_LANG, LANGS, isLang, type Lang } from "../firmware/app/i18n";

const OUT = process.env.PINDAI_DEMO_OUT ?? "sim-out";
// npm start -- --display ssd1306|st7789-240|st7789-135|bangle2|pixl: the screens as that panel's driver lays them out.
const displayArg = process.argv.indexOf("--display");
const DISPLAY = displayArg > 0 ? (process.argv[displayArg + 1] as PanelName) : undefined;
if (DISPLAY !== undefined && !PANEL_NAMES.includes(DISPLAY)) {
  console.error(`--display: ${PANEL_NAMES.join(", ")}`);
  process.exit(2);
}
const BUILD_TIME = 1_767_225_600; // 2026-01-01: an RTC earlier than this is not trusted
const say = (s = "") => console.log(s);
// A reader that leaves (npm start | head) ends the demo quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => process.exit(e.code === "EPIPE" ? 0 : 1));
/** Colour on a terminal only, and never with NO_COLOR (https://no-color.org). */
const COLOR = process.stdout.isTTY === true && !process.env.NO_COLOR;

/** The narration, in each language the device speaks. */
const NARRATION = {
  en: {
    intro: "pindai simulator: a verifier at the entrance, no network, no server.",
    profile: "(pindai's own open QR/card profile, not the official IKD format.)",
    fresh: "A new device out of the box: no key set, clock never set",
    refuses: "It refuses any code: a device without keys or a clock never says OK",
    provision: "The agency provisions it over its admin port (pindai device / pindai fleet):",
    signedTime: (now: number) => `ADMIN <TIME ${now}, signed by the agency's root key for this device and a fresh nonce (a clock never set takes no other)>`,
    attacker: "Someone with ten seconds at the port tries to set the clock back an hour:",
    ok: "The holder shows a fresh 90-second code: green, name and date of birth to match",
    again: "The same code again (a screenshot): refused, ask for a fresh code",
    powerCut: "Power cut and back on: still refused (the replay memory is kept in flash)",
    expired: "Two minutes later, the same code: expired",
    forged: "A forged code (one bit changed): rejected",
    card: "The holder taps the ID card instead: genuine card, it signs a fresh challenge",
    clone: "A copied card (same file, no private key): rejected",
    battery: "The clock battery died: the device refuses until its clock is set again",
    log: "Audit log, exported with a signed LOG and checked against the device's own key (no names; a keyed hash of the NIK):",
    written: (dir: string) => `Screens written to ${dir}/`,
    complete: "Demo complete.",
    failed: (v: string) => `Demo FAILED: verdicts ${v}`,
  },
  id: {
    intro: "Simulator pindai: alat verifikasi di pintu masuk, tanpa jaringan, tanpa server.",
    profile: "(profil QR/kartu terbuka milik pindai sendiri, bukan format resmi IKD.)",
    fresh: "Alat baru dari kotak: belum ada kunci penerbit, jam belum pernah diatur",
    refuses: "Alat menolak semua kode: tanpa kunci atau jam, alat tidak pernah berkata OK",
    provision: "Instansi mengisi alat lewat port admin (pindai device / pindai fleet):",
    signedTime: (now: number) => `ADMIN <TIME ${now}, ditandatangani kunci root instansi untuk alat ini dengan nonce baru (jam yang belum diatur hanya menerima root)>`,
    attacker: "Seseorang dengan sepuluh detik di port mencoba memundurkan jam satu jam:",
    ok: "Pemegang menunjukkan kode 90 detik yang baru: hijau, nama dan tanggal lahir untuk dicocokkan",
    again: "Kode yang sama lagi (tangkapan layar): ditolak, minta kode baru",
    powerCut: "Listrik padam lalu menyala: tetap ditolak (ingatan kode terpakai disimpan di flash)",
    expired: "Dua menit kemudian, kode yang sama: kedaluwarsa",
    forged: "Kode palsu (satu bit diubah): ditolak",
    card: "Pemegang menempelkan KTP: kartu asli, kartu menandatangani tantangan baru",
    clone: "Kartu salinan (berkas sama, tanpa kunci privat): ditolak",
    battery: "Baterai jam habis: alat menolak sampai jamnya diatur lagi",
    log: "Log audit, diekspor dengan LOG bertanda tangan dan diperiksa dengan kunci alat sendiri (tanpa nama; hash berkunci dari NIK):",
    written: (dir: string) => `Layar disimpan di ${dir}/`,
    complete: "Demo selesai.",
    failed: (v: string) => `Demo GAGAL: putusan ${v}`,
  },
} satisfies Record<Lang, unknown>;

/** --lang id|en (npm start -- --lang en), else PINDAI_LANG, else the device's default. */
function langOf(argv: string[]): Lang {
  const i = argv.findIndex((a) => a === "--lang" || a.startsWith("--lang="));
  const value = i < 0 ? process.env.PINDAI_LANG : argv[i].includes("=") ? argv[i].slice(7) : argv[i + 1];
  if (value === undefined) return DEFAULT_LANG;
  if (!isLang(value)) {
    console.error(`demo: --lang takes ${LANGS.join(" or ")}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  makeFolder(OUT);
  const now = Math.floor(Date.now() / 1000);
  const lang = langOf(process.argv.slice(2));
  const t = NARRATION[lang];
  const world = makeWorld(now, KEYSET_POLICY.replay); // what pindai keyset signs by default: reject
  const config = { roots: world.roots, buildTime: BUILD_TIME, version: "demo", clearAfterMs: DEFAULT_CLEAR_AFTER_MS, lang, panel: DISPLAY };
  let device = new SimDevice(config);
  const phone = new Phone(world.qrSigner, HOLDER, () => device.rtc.seconds());
  let n = 0;
  const verdicts: string[] = [];

  const show = async (title: string) => {
    n++;
    const screen = device.screen;
    say(`\n== ${n}. ${title}`);
    say(renderText(screen, COLOR));
    say(`   ${SIGNAL_TEXT[device.indicator.events[device.indicator.events.length - 1] ?? "off"]}`);
    const file = join(OUT, `step-${String(n).padStart(2, "0")}.png`);
    writeFileSync(file, DISPLAY ? await renderPanelPng(screen, DISPLAY) : await renderPng(screen));
    verdicts.push(device.app.lastOutcome?.verdict ?? "-");
  };

  say(t.intro);
  say(t.profile);

  await show(t.fresh);
  device.scan(phone.current());
  await show(t.refuses);

  say("\n   " + t.provision);
  const keysetLine = `KEYSET ${Buffer.from(world.keysetBytes).toString("hex")}`;
  say(`   > ${keysetLine.slice(0, 60)}...`);
  say(`   < ${device.admin(keysetLine)}`);
  say(`   > ${t.signedTime(now)}`);
  say(`   < ${device.signed(world.rootKey, "TIME", now).replace(/ ([0-9a-f]{24})[0-9a-f]{100,}$/, " $1... (signed by the device, with its STATUS)")}`);
  say("\n   " + t.attacker);
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
  await show(t.ok);

  device.clear();
  device.scan(code);
  await show(t.again);

  device = device.reboot(config);
  device.scan(code);
  await show(t.powerCut);

  device.clear();
  device.rtc.advance(120);
  device.scan(code);
  await show(t.expired);

  device.clear();
  device.scan(tamper(phone.refresh()));
  await show(t.forged);

  device.clear();
  await device.tap(world.cards.genuine);
  await show(t.card);

  device.clear();
  await device.tap(world.cards.clone);
  await show(t.clone);

  device.clear();
  device.rtc.powerLoss();
  device.scan(phone.refresh());
  await show(t.battery);

  say("\n" + t.log);
  // While the clock is not trusted no admin key's window can be judged: only a root signs (SPEC 6.4).
  const client = new DeviceClient(memoryLink((l) => device.admin(l)), world.rootKey);
  for (const r of await client.logs()) say(`   ${r.seq} ${r.time} ${r.verdict} ${r.source} ${r.kid} ${r.nikHash}`);
  say("\n" + t.written(OUT) + (DISPLAY ? ` (${DISPLAY})` : ""));

  const want = ["-", "NO_KEYSET", "OK", "REPLAYED", "REPLAYED", "EXPIRED", "BAD_SIGNATURE", "OK", "CARD_AUTH_FAILED", "CLOCK_NOT_SET"];
  const ok = JSON.stringify(verdicts) === JSON.stringify(want);
  say(ok ? t.complete : t.failed(verdicts.join(",")));
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
