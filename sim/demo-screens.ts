// The demo's screens (npm start tells the same story), as the app makes
// them: a new device, provisioning, a valid code, a replay, a long name, a
// forgery, cards, a dead clock battery. docs/screens/ draws these on every
// panel (host/build/screens.ts); the display tests use them too.
import type { Screen } from "../firmware/hal/display";
import type { Lang } from "../firmware/app/i18n";
import { checkingScreen, storageFaultScreen, verdictScreen } from "../firmware/app/screens";
import { KEYSET_POLICY } from "../firmware/core/policy";
import { SimDevice } from "./device";
import { Phone, tamper } from "./phone";
import { HOLDER, makeWorld } from "./world";

export interface DemoScreen {
  step: string;
  screen: Screen;
}

const BUILD_TIME = 1_767_225_600; // 2026-01-01
export const LONG_NAME = "Raden Ajeng Siti Nurhaliza Kartikasari Wulandari Puspitasari";

export async function demoScreens(lang: Lang, now = 1_800_000_000): Promise<DemoScreen[]> {
  const world = makeWorld(now, KEYSET_POLICY.replay);
  const config = { roots: world.roots, buildTime: BUILD_TIME, version: "demo", lang };
  let device = new SimDevice(config);
  const phone = new Phone(world.qrSigner, HOLDER, () => device.rtc.seconds());
  const out: DemoScreen[] = [];
  const take = (step: string, s: Screen = device.screen) => out.push({ step, screen: s });

  take("idle-not-ready");
  take("not-ready-no-keys", device.scan(phone.current()));
  device.provision(world, now);
  device.clear();
  take("idle-ready");
  const code = phone.current();
  const ok = device.scan(code);
  take("ok", ok);
  take("ok-countdown", { ...ok, left: ok.total === undefined ? 4 : Math.ceil(ok.total / 2) });
  device.clear();
  take("refused-replayed", device.scan(code));
  device.clear();
  const long = new Phone(world.qrSigner, { ...HOLDER, nik: "3201014512900002", name: LONG_NAME }, () => device.rtc.seconds());
  take("ok-long-name", device.scan(long.current()));
  device.clear();
  take("refused-forged", device.scan(tamper(phone.refresh())));
  device.clear();
  take("checking", checkingScreen(lang));
  take("ok-card", await device.tap(world.cards.genuine));
  device.clear();
  take("refused-card-copy", await device.tap(world.cards.clone));
  device.clear();
  take("retry-card", verdictScreen(lang, { verdict: "CARD_ERROR", warnings: [] }, true, 9, 10, 10));
  device = device.reboot(config);
  device.rtc.powerLoss();
  device.clear();
  take("not-ready-clock", device.scan(phone.refresh()));
  // A flash that cannot be read or written (app/watched-storage.ts): what the idle screen shows.
  take("not-ready-storage", storageFaultScreen(lang, "15-01-2027 15:00 WIB", { keysetVersion: 1, keysetAgeDays: 0, id: "00112233a1b2c3d4" }));
  return out;
}
