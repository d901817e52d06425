// The scan engine wired to the app: bytes -> lines (hal/scan-engine.ts,
// overlong and unfinished lines dropped) -> a bounded queue ranked by
// core/triage.ts (app/scan-queue.ts) -> VerifierApp.scanText, one line per
// turn of the event loop. Every target wires its scan engine through here.
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
  const queue = new ScanQueue(
    timers,
    (text) => app.scanText(text),
    (text) => triage(text, app.keysets.current, app.time()),
    SCAN_QUEUE_CAPACITY,
  );
  const engine = lineScanner(serial, MAX_SCAN_LINE, timers);
  engine.onLine((text) => queue.push(text));
  return { engine, queue };
}
