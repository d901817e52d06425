// The scan engine wired to the app: bytes -> lines (hal/scan-engine.ts,
// overlong and unfinished lines dropped) -> a bounded queue ranked by
// core/triage.ts (app/scan-queue.ts) -> VerifierApp.scanText, one line per
// turn of the event loop; a line proven forged is remembered, a flood of
// fresh codes is shown and logged as tampering. Every target wires its scan
// engine through here.
import { triage } from "../core/triage";
import { MAX_SCAN_LINE, type ScanEngine, lineScanner } from "../hal/scan-engine";
import type { Serial } from "../hal/serial";
import type { Timers } from "../hal/timers";
import { SCAN_QUEUE_CAPACITY, ScanQueue } from "./scan-queue";
import type { VerifierApp } from "./verifier";

export interface ScanInput {
  engine: ScanEngine;
  queue: ScanQueue;
}

export function scanInput(serial: Serial, timers: Timers, app: VerifierApp): ScanInput {
  const queue: ScanQueue = new ScanQueue(
    timers,
    (text) => {
      const before = app.lastOutcome;
      app.scanText(text);
      // Proven forged: the same line again costs nothing (app/scan-queue.ts).
      if (app.lastOutcome !== before && app.lastOutcome !== undefined && app.lastOutcome.verdict === "BAD_SIGNATURE") queue.refuted(text);
    },
    (text) => triage(text, app.keysets.current, app.time()),
    SCAN_QUEUE_CAPACITY,
    () => app.random.bytes(6),
  );
  // Fresh codes faster than they can be verified: someone is on the scan line (issue 21, finding 10).
  queue.onFlood = (fresh) => app.tamper("flood of codes on the scan line", fresh);
  const engine = lineScanner(serial, MAX_SCAN_LINE, timers);
  engine.onLine((text) => queue.push(text));
  return { engine, queue };
}
