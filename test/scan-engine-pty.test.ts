// The scan-engine path end to end over a real pty (socat): a UART QR module
// on one end sends lines; node-serialport reads the other end into the
// firmware's scan-engine HAL and the app shows the verdict.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SerialPort } from "serialport";
import { nodeSerial } from "../firmware/targets/node/serial";
import { SimDevice } from "../sim/device";
import { openPtyPair, type PtyLink } from "../sim/pty";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { haveTool } from "./support/tools";
import { T0 } from "./support/fixtures";

const HAVE_SOCAT = haveTool("socat");

function open(path: string): Promise<SerialPort> {
  const p = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  return new Promise((res, rej) => p.open((e) => (e ? rej(e) : res(p))));
}

const until = async (cond: () => boolean, ms = 3000) => {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.skipIf(!HAVE_SOCAT)("scan engine over a real pty", () => {
  let link: PtyLink;
  let devicePort: SerialPort;
  let scanner: SerialPort;
  const world = makeWorld(T0, 2);
  const device = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", clearAfterMs: 60_000 });

  beforeAll(async () => {
    link = await openPtyPair();
    devicePort = await open(link.a);
    scanner = await open(link.b);
    device.connectScanEngine(nodeSerial(devicePort));
    device.provision(world, T0);
  });
  afterAll(async () => {
    await new Promise((r) => devicePort?.close(r));
    await new Promise((r) => scanner?.close(r));
    link?.close();
  });

  it("a code sent as a CRLF line, in small chunks, is verified; a replay is refused; a torn line is ignored", async () => {
    const code = issuePresentation(world.qrSigner, HOLDER, { iat: T0 });
    const bytes = Buffer.from(code + "\r\n");
    for (let i = 0; i < bytes.length; i += 17) scanner.write(bytes.subarray(i, i + 17));
    await until(() => device.app.lastOutcome !== undefined);
    expect(device.app.lastOutcome!.verdict).toBe("OK");
    expect(device.screen.lines[0]).toBe("Name: Siti Aminah");

    device.clear();
    scanner.write(code + "\n");
    await until(() => device.app.audit.entries().filter((e) => e.source === 0).length === 2);
    expect(device.app.lastOutcome!.verdict).toBe("REPLAYED");

    device.clear();
    scanner.write("X".repeat(5000) + "\r" + "hello\r");
    await until(() => device.app.audit.entries().filter((e) => e.source === 0).length === 3);
    expect(device.app.lastOutcome!.verdict).toBe("NOT_A_CREDENTIAL"); // "hello"; the overlong line was dropped whole
  });
});
