// A coverage-guided fuzzing loop in the style of libFuzzer, in plain JS.
//
// Why not Jazzer.js's own engine: @jazzer.js/fuzzer 4.0.0 ships its libFuzzer
// addon built against glibc 2.38 and GLIBCXX_3.4.32, which Debian 12 (this
// project's machines and CI) does not have, and its earlier versions download
// the addon at install time. So the instrumentation is Jazzer's (edge counters
// and compare hooks, fuzz/instrument.ts) and the loop is this one: keep every
// input that reaches a new (edge, hit-count bucket) pair, mutate corpus
// entries with libFuzzer's byte-level mutations plus the values the code was
// seen comparing against, and report inputs that throw or break an invariant.
import { counters, dictionaryEntry } from "./coverage";

export interface Target {
  /** Run one input; throw (an Error) when the code under test misbehaves. */
  run(data: Uint8Array): void;
  /** Longest input worth trying. */
  maxLen: number;
  /** A structure-aware mutation, tried for half the runs (undefined: it does not apply to this input). */
  mutate?: (d: Uint8Array, rand: (n: number) => number) => Uint8Array | undefined;
}

export interface LoopOptions {
  runs: number; // stop after this many executions (0: no limit)
  ms: number; // stop after this long (0: no limit)
  edgeCount: number;
  seed: number;
  /** Called before each run with the input (the watchdog's copy). */
  onInput?: (data: Uint8Array) => void;
  /** Called with each input that reached new coverage. */
  onNew?: (data: Uint8Array) => void;
}

export interface Failure {
  input: Uint8Array;
  message: string;
}

export interface LoopResult {
  execs: number;
  /** Edges hit by at least one run. */
  covered: Uint8Array;
  corpus: number;
  crashes: Failure[];
  ms: number;
}

// AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+.
const BUCKET = new Uint8Array(256);
for (let c = 1; c < 256; c++) BUCKET[c] = c < 4 ? 1 << (c - 1) : c < 8 ? 8 : c < 16 ? 16 : c < 32 ? 32 : c < 128 ? 64 : 128;

// libFuzzer's "interesting" integers, plus the heads of CBOR's major types.
const INTERESTING = [0, 1, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x7f, 0x80, 0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd2, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfb, 0xfe, 0xff];

export class Fuzzer {
  private readonly seen: Uint8Array;
  readonly covered: Uint8Array;
  private readonly corpus: Uint8Array[] = [];
  private rng: number;

  constructor(private readonly target: Target, private readonly o: LoopOptions) {
    this.seen = new Uint8Array(o.edgeCount);
    this.covered = new Uint8Array(o.edgeCount);
    this.rng = o.seed >>> 0 || 1;
  }

  private rand(n: number): number {
    // xorshift32
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng % n;
  }

  /** Run one input; true when it reached something new. A throw is returned as a failure. */
  private execute(data: Uint8Array): { fresh: boolean; error?: string } {
    const n = this.o.edgeCount;
    counters.fill(0, 0, n);
    if (this.o.onInput) this.o.onInput(data);
    let error: string | undefined;
    try {
      this.target.run(data);
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    let fresh = false;
    for (let i = 0; i < n; i++) {
      const c = counters[i];
      if (c === 0) continue;
      const bit = BUCKET[c];
      if ((this.seen[i] & bit) === 0) {
        this.seen[i] |= bit;
        this.covered[i] = 1;
        fresh = true;
      }
    }
    return { fresh, error };
  }

  private mutate(input: Uint8Array): Uint8Array {
    if (this.target.mutate && this.rand(2) === 0) {
      const m = this.target.mutate(input, (n) => this.rand(n));
      if (m !== undefined) return m.length > this.target.maxLen ? m.subarray(0, this.target.maxLen) : m;
    }
    let d = Array.from(input);
    const maxLen = this.target.maxLen;
    const times = 1 + this.rand(4);
    for (let t = 0; t < times; t++) {
      const pos = d.length > 0 ? this.rand(d.length) : 0;
      switch (this.rand(11)) {
        case 0: // flip a bit
          if (d.length) d[pos] ^= 1 << this.rand(8);
          break;
        case 1: // a random byte
          if (d.length) d[pos] = this.rand(256);
          break;
        case 2: // an interesting byte
          if (d.length) d[pos] = INTERESTING[this.rand(INTERESTING.length)];
          break;
        case 3: // add or subtract a little
          if (d.length) d[pos] = (d[pos] + 1 + this.rand(35) - 18 + 256) & 255;
          break;
        case 4: // insert bytes
          d.splice(pos, 0, ...Array.from({ length: 1 + this.rand(8) }, () => this.rand(256)));
          break;
        case 5: // erase a range
          d.splice(pos, 1 + this.rand(Math.min(16, d.length || 1)));
          break;
        case 6: { // copy a range within the input
          if (d.length < 2) break;
          const from = this.rand(d.length);
          const len = 1 + this.rand(Math.min(32, d.length - from));
          d.splice(pos, 0, ...d.slice(from, from + len));
          break;
        }
        case 7: { // splice with another corpus entry
          if (this.corpus.length === 0) break;
          const other = this.corpus[this.rand(this.corpus.length)];
          const cut = this.rand(other.length + 1);
          d = d.slice(0, pos).concat(Array.from(other.subarray(cut)));
          break;
        }
        case 8: // insert a value the code compared against
        case 9: { // ... or overwrite with one
          const entry = dictionaryEntry((n) => this.rand(n));
          if (entry === undefined) break;
          const v = Array.from(entry);
          if (t % 2 === 0) d.splice(pos, 0, ...v);
          else d.splice(pos, v.length, ...v);
          break;
        }
        case 10: // truncate
          d.length = this.rand(d.length + 1);
          break;
      }
    }
    if (d.length > maxLen) d.length = maxLen;
    return Uint8Array.from(d);
  }

  loop(seeds: Uint8Array[]): LoopResult {
    const t0 = performance.now();
    const crashes: Failure[] = [];
    let execs = 0;
    const record = (input: Uint8Array, error: string | undefined) => {
      if (error !== undefined && crashes.length < 20 && !crashes.some((c) => c.message === error)) {
        crashes.push({ input, message: error });
      }
    };
    // Every seed runs first (and stays in the corpus: it is the starting point).
    for (const s of seeds) {
      const input = s.length > this.target.maxLen ? s.subarray(0, this.target.maxLen) : s;
      const r = this.execute(input);
      execs++;
      record(input, r.error);
      this.corpus.push(input);
    }
    if (this.corpus.length === 0) this.corpus.push(new Uint8Array(0));
    const done = () =>
      (this.o.runs > 0 && execs >= this.o.runs) || (this.o.ms > 0 && (execs & 63) === 0 && performance.now() - t0 >= this.o.ms);
    while (!done()) {
      // Newer entries (deeper in the code) are picked more often.
      const i = this.corpus.length - 1 - Math.min(this.rand(this.corpus.length), this.rand(this.corpus.length));
      const input = this.mutate(this.corpus[i]);
      const r = this.execute(input);
      execs++;
      record(input, r.error);
      if (r.fresh && r.error === undefined) {
        this.corpus.push(input);
        if (this.o.onNew) this.o.onNew(input);
      }
    }
    return { execs, covered: this.covered, corpus: this.corpus.length, crashes, ms: performance.now() - t0 };
  }
}
