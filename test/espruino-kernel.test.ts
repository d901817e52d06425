// The Espruino image's native kernel (firmware/targets/espruino/native) is
// the portable core's arithmetic in Thumb code: its bytes, as npm run build
// embeds them, run on a Cortex-M4 model (qemu-system-arm) and must give what
// the portable core gives on Node for every Wycheproof Ed25519 case: field
// operations, SHA-512, the reduction mod L, the Straus product and the table
// product. Through E.nativeCall in Espruino itself: test/espruino-arm.test.ts.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildKernel, kernelPrelude } from "../host/build/espruino-kernel";
import { checkEspruino } from "../host/build/espruino-check";
import { build } from "../host/build/build";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KERNEL_M4_TOOLS, runKernelM4 } from "../bench/espruino-arm/kernel-m4";
import { haveTool } from "./support/tools";
import { type Fe, fe, mul, sqr, add, sub, inv, pow2523, pack, unpack } from "../firmware/core/field25519";
import { type Point, CONSTANTS, decodePoint, negate, point } from "../firmware/core/ed25519-curve";
import { BASE, doubleScalarMul, ed25519Verify, reduce64, scalarIsCanonical } from "../firmware/core/ed25519";
import { makeBaseTable, makeKeyTable } from "../firmware/core/ed25519-table-make";
import { tableMulSub } from "../firmware/core/ed25519-table";
import { type Bytes, alloc, concat, utf8Decode } from "../firmware/core/bytes";
import { base45Decode, base45Encode } from "../firmware/core/base45";
import { type CborItem, cborDecode } from "../firmware/core/cbor";
import { decodeSign1 } from "../firmware/core/cose";
import { randomBytes } from "node:crypto";
import { ALICE, makeKey, present } from "./support/fixtures";

const tools = KERNEL_M4_TOOLS.every((t) => haveTool(t));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

function packed(a: Fe): string {
  const o = alloc(32);
  pack(o, a);
  return hex(o);
}

/** The affine y and x of a point, packed: what the harness prints for a product. */
function affine(p: Point): string {
  const zi = fe();
  const t = fe();
  inv(zi, p.z);
  mul(t, p.y, zi);
  const y = packed(t);
  mul(t, p.x, zi);
  return y + " " + packed(t);
}

interface Case {
  tcId: number;
  pk: string;
  msg: string;
  sig: string;
  result: string;
}

const file = JSON.parse(readFileSync(new URL("./vectors/wycheproof_ed25519_test.json", import.meta.url), "utf8"));
const cases: Case[] = [];
for (const g of file.testGroups) for (const t of g.tests) cases.push({ pk: g.publicKey.pk, ...t });

describe.skipIf(!tools)("the Espruino kernel on a Cortex-M4 (qemu-system-arm) against the portable core", () => {
  it("is position-independent Thumb code with the entry points natives.js calls", () => {
    const k = buildKernel();
    for (const e of ["pd_mul", "pd_add", "pd_sub", "pd_set", "pd_pack", "pd_unpack", "pd_inv", "pd_pow2523", "pd_straus", "pd_tablemulsub", "pd_sha512", "pd_reduce64"]) {
      expect(k.at[e], e).toBeGreaterThanOrEqual(0);
      expect(k.at[e] % 2).toBe(0);
    }
    expect(k.code.length).toBeLessThan(8192);
    const natives = readFileSync(new URL("../firmware/targets/espruino/native/natives.js", import.meta.url), "utf8");
    for (const m of natives.matchAll(/fn\("(\w+)"/g)) expect(k.at[m[1]], `${m[1]} is in the kernel`).toBeDefined();
    expect(checkEspruino(kernelPrelude())).toEqual([]);
  });

  it("npm run build puts it in front of the Espruino image when the config says espruinoCortexM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-kernel-build-"));
    try {
      const plain = await build({}, join(dir, "a"), () => {});
      const arm = await build({ espruinoCortexM: true }, join(dir, "b"), () => {});
      const text = readFileSync(arm.espruino, "utf8");
      expect(text.startsWith("var PINDAI_KERNEL = ")).toBe(true);
      expect(readFileSync(plain.espruino, "utf8")).not.toContain("var PINDAI_KERNEL"); // it only names PINDAI_KERNEL_NATIVES, to take them when present
      expect(arm.sizes.espruino - plain.sizes.espruino).toBeLessThan(16_500); // 7.8 KB of base64 code and 8 KB of natives.js
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it("gives the portable results for every Wycheproof case: field, SHA-512, mod L, Straus; and the same verdicts", async () => {
    const lines: string[] = [];
    const want: string[] = [];
    const verdictOf: Array<[number, Case, string]> = [];
    const b = CONSTANTS;
    for (const c of cases) {
      const pk = bytes(c.pk);
      const sig = bytes(c.sig);
      const msg = bytes(c.msg);
      if (pk.length !== 32 || sig.length !== 64) continue;
      // Field operations on the key and R as elements.
      const x = fe();
      const y = fe();
      const r = fe();
      unpack(x, pk);
      unpack(y, sig.subarray(0, 32));
      const f: string[] = [];
      mul(r, x, y); f.push(packed(r));
      sqr(r, x); f.push(packed(r));
      add(r, x, y); f.push(packed(r));
      sub(r, x, y); f.push(packed(r));
      inv(r, x); f.push(packed(r));
      pow2523(r, x); f.push(packed(r));
      lines.push(`F ${c.pk} ${hex(sig.subarray(0, 32))}`);
      want.push(f.join(" "));
      // k = SHA-512(R || A || M) mod L.
      const h = createHash("sha512").update(concat([sig.subarray(0, 32), pk, msg])).digest();
      lines.push(`H ${hex(sig.subarray(0, 32))}${c.pk}${c.msg}`);
      want.push(h.toString("hex"));
      const k = reduce64(new Uint8Array(h));
      lines.push(`R ${h.toString("hex")}`);
      want.push(hex(k));
      // R' = [S]B - [k]A where the portable verifier computes it.
      const A = decodePoint(pk);
      const s = sig.subarray(32, 64);
      if (A === undefined || !scalarIsCanonical(s)) continue;
      const minusA = point();
      negate(minusA, A);
      const ax = fe();
      const ay = fe();
      mul(ax, minusA.x, ONE_INV(minusA.z));
      mul(ay, minusA.y, ONE_INV(minusA.z));
      lines.push(`S ${hex(s)} ${packed(b.BX)} ${packed(b.BY)} ${hex(k)} ${packed(ax)} ${packed(ay)}`);
      want.push(affine(doubleScalarMul(s, BASE, k, minusA)));
      verdictOf.push([lines.length - 1, c, hex(sig.subarray(0, 32))]);
    }
    for (const s of [0, 1, 111, 112, 127, 128, 239, 240, 300]) {
      const m = new Uint8Array(s).map((_, i) => (i * 31 + 7) & 255);
      lines.push(`H ${hex(m)}`);
      want.push(createHash("sha512").update(m).digest("hex"));
    }
    const got = await runKernelM4(lines);
    for (let i = 0; i < lines.length; i++) expect(got[i].out, lines[i].slice(0, 80)).toBe(want[i]);
    // The verdict the kernel's R' gives (the encoding of y with x's sign bit) is Wycheproof's.
    let valid = 0;
    for (const [i, c, rHex] of verdictOf) {
      const [y, x] = got[i].out.split(" ").map(bytes);
      y[31] |= (x[0] & 1) << 7;
      const ok = hex(y) === rHex;
      expect(ok, `tcId ${c.tcId}`).toBe(c.result === "valid");
      if (ok) valid++;
    }
    expect(valid).toBeGreaterThan(50);
  }, 600_000);

  it("gives the portable table product [S]B - [k]A from the base point's and the key's tables", async () => {
    const base = makeBaseTable();
    const lines: string[] = [];
    const want: string[] = [];
    const seen = new Set<string>();
    for (const c of cases) {
      if (seen.size >= 3 || seen.has(c.pk) || c.result !== "valid") continue;
      const table = makeKeyTable(bytes(c.pk));
      if (table === undefined) continue;
      seen.add(c.pk);
      const sig = bytes(c.sig);
      const s = sig.subarray(32, 64);
      const k = reduce64(new Uint8Array(createHash("sha512").update(concat([sig.subarray(0, 32), bytes(c.pk), bytes(c.msg)])).digest()));
      lines.push(`T ${hex(s)} ${hex(k)} ${base.map(hex).join("")} ${table.map(hex).join("")}`);
      want.push(affine(tableMulSub(s, base, k, table)));
    }
    expect(lines).toHaveLength(3);
    // The whole table path (pd_verifytables) on every Wycheproof case of these keys, as the core answers it.
    const tables = new Map<string, string>();
    const tableOf = new Map<string, Bytes[]>();
    for (const c of cases) {
      const sig = bytes(c.sig);
      const pk = bytes(c.pk);
      if (pk.length !== 32 || sig.length !== 64 || !scalarIsCanonical(sig.subarray(32))) continue;
      if (!tables.has(c.pk)) {
        if (tables.size >= 3) continue;
        const t = makeKeyTable(pk);
        if (t === undefined) continue;
        tables.set(c.pk, t.map(hex).join(""));
        tableOf.set(c.pk, t);
      }
      const kt = tables.get(c.pk);
      if (kt === undefined) continue;
      const v = ed25519Verify(pk, bytes(c.msg), sig, { base, key: tableOf.get(c.pk) as Bytes[] });
      if (v !== "OK" && v !== "MISMATCH") continue; // refused by the checks before the table path
      lines.push(`V ${hex(sig.subarray(0, 32))}${c.pk}${c.msg} ${c.sig} ${base.map(hex).join("")} ${kt}`);
      want.push(v === "OK" ? "1" : "0");
    }
    for (const [a, b] of [["00", "00"], ["0011", "0012"], ["ff".repeat(32), "ff".repeat(32)], ["ff".repeat(32), "ff".repeat(31) + "fe"], ["80" + "00".repeat(31), "00".repeat(32)]]) {
      lines.push(`E ${a} ${b}`);
      want.push(a === b ? "1" : "0");
    }
    const got = await runKernelM4(lines);
    for (let i = 0; i < lines.length; i++) expect(got[i].out, lines[i].slice(0, 60)).toBe(want[i]);
    expect(want.filter((w) => w === "1").length).toBeGreaterThan(10);
    expect(want.filter((w) => w === "0").length).toBeGreaterThan(10);
  }, 600_000);
});

/** 1/z (decodePoint leaves z = 1; kept general). */
function ONE_INV(z: Fe): Fe {
  const r = fe();
  inv(r, z);
  return r;
}

/** Items in a decoded tree (what pd_cbor counts). */
function itemCount(it: CborItem): number {
  let n = 1;
  for (const c of it.items ?? []) n += itemCount(c);
  for (const c of it.keys ?? []) n += itemCount(c);
  for (const c of it.values ?? []) n += itemCount(c);
  if (it.content !== undefined) n += itemCount(it.content);
  return n;
}

describe.skipIf(!tools)("the Espruino kernel's text entries on a Cortex-M4 against the portable core", () => {
  it("takes exactly the CBOR the portable decoder takes, and decodes Base45 and checks UTF-8 as it does", async () => {
    const rnd = (n: number) => new Uint8Array(randomBytes(n));
    const qr = makeKey(["qr"]);
    const texts = [present(qr), present(qr, { tagged: false }), present(qr, {}, { ...ALICE, name: "Dewi \u00c9l\u00e9onore \u6c34" })];
    const cose = texts.map((t) => {
      const r = base45Decode(t.substring(4));
      if (!r.ok) throw new Error("fixture");
      return r.bytes;
    });
    const cbors = JSON.parse(readFileSync(new URL("./vectors/cbor_appendix_a.json", import.meta.url), "utf8")).map((v: { hex: string }) => v.hex);
    cbors.push("1817", "5f4101ff", "a201010102", "62c328", "81".repeat(16) + "00", "81".repeat(17) + "00", "1b0020000000000000", "3b001fffffffffffff", "3b001ffffffffffffe", "0000", "", "a2616101616101", "a20101200120", "d25f", "d3a0", "f97e00", "1c", "7f", "ff", "f8ff", "80a0");
    for (const c of cose) {
      cbors.push(hex(c));
      const d = decodeSign1(c);
      if (d.ok) cbors.push(hex(d.sign1.payload), hex(d.sign1.protectedBytes));
      for (let i = 0; i < 60; i++) {
        const m = new Uint8Array(c);
        m[Math.floor(Math.random() * m.length)] ^= 1 << Math.floor(Math.random() * 8);
        cbors.push(hex(m), hex(c.subarray(0, Math.floor(Math.random() * c.length))));
      }
    }
    for (let i = 0; i < 40; i++) cbors.push(hex(rnd(1 + (i % 9))));
    const lines: string[] = [];
    const want: string[] = [];
    for (const h of cbors) {
      const r = cborDecode(bytes(h));
      lines.push(`C ${h}`);
      want.push(r.ok ? String(itemCount(r.item)) : "-1");
    }
    const b45 = [...texts.map((t) => t.substring(4)), "BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", "bb8", "", "::::::", "GGX", "ZZ", "FGW", "FGV", "A\u00e9B"];
    for (let i = 0; i < 20; i++) b45.push(base45Encode(rnd(i + 1)));
    for (const t of b45) {
      if (t.length % 3 === 1) continue; // refused by length before the kernel
      const r = base45Decode(t);
      lines.push(`B ${Buffer.from(t, "latin1").toString("hex")}`);
      want.push(r.ok ? "=" + hex(r.bytes) : r.error === "BAD_CHAR" ? "e-1" : "e-2");
    }
    const utf = ["", "41", "c3a9", "e6b0b4", "f09f9880", "c0af", "e080af", "eda080", "f4908080", "f8", "c3", "e6b0", "80", "41c3a942", "efbfbf", "f48fbfbf", "c2", "dfbf"];
    for (let i = 0; i < 30; i++) utf.push(hex(rnd(1 + (i % 6))));
    for (const h of utf) {
      const s = utf8Decode(bytes(h));
      lines.push(`U ${h}`);
      want.push(s === undefined ? "-1" : /^[\x00-\x7f]*$/.test(s) ? "0" : "1");
    }
    const got = await runKernelM4(lines);
    for (let i = 0; i < lines.length; i++) expect(got[i].out, lines[i].slice(0, 120)).toBe(want[i]);
    expect(want.filter((w) => w === "-1").length).toBeGreaterThan(50); // refusals are tested, not only acceptance
  }, 600_000);
});
