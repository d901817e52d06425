// Write a Lua image onto a NodeMCU-style device through its Lua REPL on a
// serial port: open the file, write it in chunks of escaped bytes (the line
// stays ASCII whatever the image holds), close it, then have the device
// checksum what it stored and compare with ours. Every line waits for the
// REPL's "> " prompt, with a timeout; a Lua error stops the transfer.
import { SerialPort } from "serialport";
import { portReason } from "../issuer/files";
import { luaLiteral } from "../build/lua-literal";

export interface FlashLuaOptions {
  name?: string; // file name on the device
  chunk?: number; // image bytes per line
  timeoutMs?: number; // per line
  baud?: number;
  progress?: (done: number, total: number) => void;
}

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

  constructor(private readonly port: SerialPort, private readonly timeoutMs: number) {
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
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no Lua prompt within ${this.timeoutMs} ms (is a NodeMCU-style REPL on this port?)`));
      }, this.timeoutMs);
      this.waiter = (t) => {
        clearTimeout(timer);
        resolve(t.replace(/>>? $/, "").trim());
      };
      if (/(^|\n)>>? $/.test(this.buf)) this.port.emit("data", Buffer.alloc(0));
    });
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
  const chunk = o.chunk ?? 128;
  const port = new SerialPort({ path, baudRate: o.baud ?? 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(new Error(`cannot open ${path}: ${portReason(e)}`)) : res())));
  try {
    const repl = new LuaRepl(port, o.timeoutMs ?? 5000);
    const first = repl.prompt();
    port.write("\n"); // a fresh prompt, whatever state the REPL was in
    await first;
    await repl.run(`__pindai_f = file.open(${luaLiteral(Buffer.from(name))}, "wb")`);
    await repl.run(`assert(__pindai_f, "cannot open ${name}")`);
    for (let off = 0; off < image.length; off += chunk) {
      await repl.run(`__pindai_f:write(${luaLiteral(image.subarray(off, off + chunk))})`);
      o.progress?.(Math.min(off + chunk, image.length), image.length);
    }
    await repl.run("__pindai_f:close() __pindai_f = nil");
    const out = await repl.run(
      `do local f = file.open(${luaLiteral(Buffer.from(name))}, "rb") local n, h = 0, 0 ` +
        `while true do local s = f:read(1024) if not s or #s == 0 then break end ` +
        `for i = 1, #s do h = (h * 31 + s:byte(i)) % 4294967296 end n = n + #s end f:close() print("SUM " .. n .. " " .. math.floor(h)) end`,
    );
    const m = /SUM (\d+) (\d+)/.exec(out);
    const want = checksum(image);
    if (!m) throw new Error(`the device gave no checksum: ${out}`);
    if (Number(m[1]) !== image.length || Number(m[2]) !== want) {
      throw new Error(`verification failed: the device holds ${m[1]} bytes with checksum ${m[2]}, expected ${image.length} bytes, ${want}`);
    }
    return { bytes: image.length, checksum: want };
  } finally {
    await new Promise<void>((res) => port.close(() => res()));
  }
}
