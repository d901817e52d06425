// Write a Lua image onto a NodeMCU-style device through its Lua REPL on a
// serial port: write it under a scratch name in chunks of escaped bytes (the
// line stays ASCII whatever the image holds), have the device checksum what
// it stored and compare with ours, and only then rename it into place, so a
// transfer cut anywhere leaves the image before it whole. Then, for a Lua
// source image, init.lua (what NodeMCU runs at boot) is written the same way
// to run it. Every line waits for the REPL's "> " prompt, with a timeout; a
// Lua error stops the transfer.
import { SerialPort } from "serialport";
import { portReason } from "../issuer/files";
import { luaLiteral } from "../build/lua-literal";

export interface FlashLuaOptions {
  name?: string; // file name on the device
  chunk?: number; // image bytes per line
  timeoutMs?: number; // per line
  baud?: number;
  progress?: (done: number, total: number) => void;
  /** Also write init.lua, NodeMCU's boot file, as `dofile("<name>")` (once the image is in place). */
  init?: boolean;
}

/** NodeMCU's boot file, and what it holds to run a Lua source image. */
export const INIT_FILE = "init.lua";
const initFor = (name: string) => `dofile(${luaLiteral(Buffer.from(name))})\n`;

/** The checksum both sides compute: h = (h * 31 + byte) mod 2^32. */
export function checksum(b: Uint8Array): number {
  let h = 0;
  for (const x of b) h = (h * 31 + x) % 4294967296;
  return h;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export class LuaRepl {
  private buf = "";
  private waiter: ((text: string) => void) | undefined;
  private failer: ((e: Error) => void) | undefined;

  constructor(private readonly port: SerialPort, private readonly timeoutMs: number) {
    // The device gone (unplugged, powered off): the line waiting fails with that, not a timeout.
    port.on("error", (e: Error) => this.failer?.(new Error(`the link to the device failed: ${e.message}`)));
    port.on("data", (d: Buffer) => {
      this.buf += d.toString("latin1").replace(ANSI, "").replace(/\r/g, "");
      if (this.waiter && /(^|\n)>>? $/.test(this.buf)) {
        const text = this.buf;
        this.buf = "";
        const w = this.waiter;
        this.waiter = undefined;
        w(text);
      }
    });
  }

  /** Resolves with what the REPL printed before its next prompt. */
  prompt(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no Lua prompt within ${this.timeoutMs} ms (is a NodeMCU-style REPL on this port?)`)), this.timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        this.waiter = this.failer = undefined;
        reject(e);
      };
      this.failer = fail;
      this.waiter = (t) => {
        clearTimeout(timer);
        this.failer = undefined;
        resolve(t.replace(/>>? $/, "").trim());
      };
      if (/(^|\n)>>? $/.test(this.buf)) this.port.emit("data", Buffer.alloc(0));
    });
  }

  /**
   * Lines and prompts in step, whatever state the REPL was in: a newline (a fresh prompt; a REPL
   * may show two, its banner's and the line's, and a line sent on the first would read the next
   * one's output), then a print of a fresh tag; prompts are taken until the one after the tag's line.
   */
  async sync(): Promise<void> {
    const tag = `pindai-sync-${Date.now().toString(36)}`;
    const p = this.prompt();
    this.port.write(`\nprint("${tag}")\n`);
    let text = await p;
    while (!new RegExp(`(^|\n)${tag}(\n|$)`).test(text)) text = await this.prompt();
  }

  /** Send one line; resolve with its output; reject on a Lua error. */
  async run(line: string): Promise<string> {
    const p = this.prompt();
    this.port.write(line + "\n");
    const out = (await p).split("\n").filter((l) => l.trim() !== line.trim()).join("\n").trim();
    if (/^(stdin|lua):\d+:/m.test(out)) throw new Error(`the device said: ${out.split("\n")[0]}`);
    return out;
  }
}

export async function flashLua(path: string, image: Uint8Array, o: FlashLuaOptions = {}): Promise<{ bytes: number; checksum: number }> {
  const name = o.name ?? "pindai.lua";
  const port = new SerialPort({ path, baudRate: o.baud ?? 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(new Error(`cannot open ${path}: ${portReason(e)}`)) : res())));
  try {
    const repl = new LuaRepl(port, o.timeoutMs ?? 5000);
    await repl.sync();
    await writeInPlace(repl, name, image, o.chunk ?? 128, o.progress);
    if (o.init) await writeInPlace(repl, INIT_FILE, Buffer.from(initFor(name)), 128);
    return { bytes: image.length, checksum: checksum(image) };
  } finally {
    await new Promise<void>((res) => port.close(() => res()));
  }
}

/**
 * `data` as the device's file `name`: written as `name`.new, checked by the device's checksum,
 * then renamed over `name` (the old file removed first: SPIFFS renames onto no existing name).
 */
async function writeInPlace(repl: LuaRepl, name: string, data: Uint8Array, chunk: number, progress?: (done: number, total: number) => void): Promise<void> {
  const scratch = luaLiteral(Buffer.from(name + ".new"));
  const target = luaLiteral(Buffer.from(name));
  await repl.run(`__pindai_f = file.open(${scratch}, "wb")`);
  await repl.run(`assert(__pindai_f, "cannot open ${name}.new")`);
  for (let off = 0; off < data.length; off += chunk) {
    await repl.run(`__pindai_f:write(${luaLiteral(data.subarray(off, off + chunk))})`);
    progress?.(Math.min(off + chunk, data.length), data.length);
  }
  await repl.run("__pindai_f:close() __pindai_f = nil");
  const out = await repl.run(
    `do local f = file.open(${scratch}, "rb") local n, h = 0, 0 ` +
      `while true do local s = f:read(1024) if not s or #s == 0 then break end ` +
      `for i = 1, #s do h = (h * 31 + s:byte(i)) % 4294967296 end n = n + #s end f:close() print("SUM " .. n .. " " .. math.floor(h)) end`,
  );
  const m = /SUM (\d+) (\d+)/.exec(out);
  const want = checksum(data);
  if (!m) throw new Error(`the device gave no checksum for ${name}: ${out}`);
  if (Number(m[1]) !== data.length || Number(m[2]) !== want) {
    throw new Error(`verification failed: the device holds ${m[1]} bytes with checksum ${m[2]} in ${name}.new, expected ${data.length} bytes, ${want} (${name} is left as it was)`);
  }
  await repl.run(`file.remove(${target}) assert(file.rename(${scratch}, ${target}), "cannot rename ${name}.new to ${name}")`);
}
