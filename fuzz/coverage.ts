// What Jazzer.js's instrumentation calls (@jazzer.js/instrumentor's
// codeCoverage and compareHooks babel plugins insert
// `Fuzzer.coverageTracker.incrementCounter(id)` on every edge and
// `Fuzzer.tracer.traceStrCmp/traceNumberCmp/traceAndReturn` around compares),
// answered here in plain JS: Jazzer's own libFuzzer addon does not load on this
// machine (see fuzz/engine.ts). Imported before any instrumented module.
export const MAX_EDGES = 1 << 16;

/** Hits per edge in the current run, saturating at 255 (libFuzzer's 8-bit counters). */
export const counters = new Uint8Array(MAX_EDGES);

// Operands of the compares the code made, one slot per compare site (the
// instrumentation's pc), like libFuzzer's table of recent compares: the values
// the code looks for become the mutator's dictionary. No allocation per compare.
const SLOTS = 4096;
const numbers = new Float64Array(2 * SLOTS).fill(-1);
const strings: string[] = new Array(2 * SLOTS).fill("");

/** A non-negative integer as 1, 2, 4 or 8 bytes big-endian (as CBOR and the PN532 write them). */
function bigEndian(n: number): Uint8Array {
  const size = n < 256 ? 1 : n < 65536 ? 2 : n <= 0xffffffff ? 4 : 8;
  const b = new Uint8Array(size);
  for (let i = size - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) b[i] = v % 256;
  return b;
}

/** A value some compare site saw (or its neighbour: x > LIMIT wants LIMIT + 1), as bytes; undefined if none yet. */
export function dictionaryEntry(rand: (n: number) => number): Uint8Array | undefined {
  for (let tries = 0; tries < 8; tries++) {
    const k = rand(2 * SLOTS);
    if (strings[k] !== "") return new Uint8Array(Buffer.from(strings[k], "latin1"));
    const n = numbers[k];
    if (n >= 0) return bigEndian(rand(2) === 0 || n >= Number.MAX_SAFE_INTEGER ? n : n + 1);
  }
  return undefined;
}

function rememberNumbers(a: unknown, b: unknown, pc: number): void {
  const k = 2 * (pc % SLOTS);
  if (typeof a === "number" && Number.isSafeInteger(a) && a >= 0) numbers[k] = a;
  if (typeof b === "number" && Number.isSafeInteger(b) && b >= 0) numbers[k + 1] = b;
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
    traceStrCmp(a: unknown, b: unknown, op: string, pc: number): boolean {
      const k = 2 * (pc % SLOTS);
      if (typeof a === "string" && a.length > 0 && a.length <= 64) strings[k] = a;
      if (typeof b === "string" && b.length > 0 && b.length <= 64) strings[k + 1] = b;
      return compare(a, b, op);
    },
    traceNumberCmp(a: unknown, b: unknown, op: string, pc: number): boolean {
      rememberNumbers(a, b, pc);
      return compare(a, b, op);
    },
    traceAndReturn(current: unknown, target: unknown, pc: number): unknown {
      rememberNumbers(current, target, pc);
      return target;
    },
  },
};

(globalThis as unknown as { Fuzzer: typeof fuzzer }).Fuzzer = fuzzer;
