// What Jazzer.js's instrumentation calls (@jazzer.js/instrumentor's
// codeCoverage and compareHooks babel plugins insert
// `Fuzzer.coverageTracker.incrementCounter(id)` on every edge and
// `Fuzzer.tracer.traceStrCmp/traceNumberCmp/traceAndReturn` around compares),
// answered here in plain JS: Jazzer's own libFuzzer addon does not load on this
// machine (see fuzz/engine.ts). Imported before any instrumented module.
export const MAX_EDGES = 1 << 16;

/** Hits per edge in the current run, saturating at 255 (libFuzzer's 8-bit counters). */
export const counters = new Uint8Array(MAX_EDGES);

/** Operands seen in compares (the values the code looks for): the mutator's dictionary. */
export const cmpValues: Uint8Array[] = [];
const cmpSeen = new Set<string>();
const MAX_CMP_VALUES = 512;

function remember(v: Uint8Array): void {
  if (v.length === 0 || v.length > 64 || cmpValues.length >= MAX_CMP_VALUES) return;
  const key = Buffer.from(v).toString("latin1");
  if (cmpSeen.has(key)) return;
  cmpSeen.add(key);
  cmpValues.push(v);
}

function rememberNumber(n: unknown): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 0xffffffff) return;
  if (n < 256) return remember(Uint8Array.of(n));
  if (n < 65536) return remember(Uint8Array.of(n >>> 8, n & 255)); // big-endian, as CBOR and PN532 write them
  remember(Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255));
}

function compare(a: unknown, b: unknown, op: string): boolean {
  /* eslint-disable eqeqeq */
  switch (op) {
    case "===": return a === b;
    case "!==": return a !== b;
    case "==": return a == b;
    case "!=": return a != b;
    case "<": return (a as number) < (b as number);
    case "<=": return (a as number) <= (b as number);
    case ">": return (a as number) > (b as number);
    case ">=": return (a as number) >= (b as number);
  }
  throw new Error("unknown compare operator " + op);
}

const fuzzer = {
  coverageTracker: {
    incrementCounter(id: number): void {
      const c = counters[id];
      if (c < 255) counters[id] = c + 1;
    },
  },
  tracer: {
    traceStrCmp(a: unknown, b: unknown, op: string, _pc: number): boolean {
      const r = compare(a, b, op);
      if (!r && typeof a === "string" && typeof b === "string") {
        remember(new Uint8Array(Buffer.from(a, "latin1")));
        remember(new Uint8Array(Buffer.from(b, "latin1")));
      }
      return r;
    },
    traceNumberCmp(a: unknown, b: unknown, op: string, _pc: number): boolean {
      const r = compare(a, b, op);
      if (!r) {
        rememberNumber(a);
        rememberNumber(b);
      }
      return r;
    },
    traceAndReturn(current: unknown, target: unknown, _pc: number): unknown {
      if (current !== target) rememberNumber(target);
      return target;
    },
  },
};

(globalThis as unknown as { Fuzzer: typeof fuzzer }).Fuzzer = fuzzer;
