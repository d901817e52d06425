// pindai verification core. The chain of a scan, top to bottom:
//
//   QR text --"PD1:"--> base45.ts --> cbor.ts --> cose.ts (COSE_Sign1)
//     --> keyset.ts (which issuer key) --> ed25519.ts (sha512.ts, field25519.ts,
//         ed25519-curve.ts; ed25519-table.ts when the caller hands in the key's table)
//     --> claims.ts (CWT) --> trust.ts (windows) --> replay.ts --> verdict.ts
//
// presentation.ts strings the chain together for the 90-second QR, card.ts
// for the physical card; both end in an outcome.ts Outcome. Every function here is portable (Node, Espruino,
// Lua) and returns errors as values.
export { verifyPresentation, QR_PREFIX } from "./presentation";
export { maskNik, type Outcome, type Display } from "./outcome";
export { verifyCard, cardAuthMessage, type CardRead } from "./card";
export { loadKeyset, installDecision, isStale, type Keyset, type RootKey, UsageBits } from "./keyset";
export { ReplayCache } from "./replay";
export { makeBaseTable, makeKeyTable, emitBaseTable, emitKeyTable } from "./ed25519-table-make";
export { tablesFor, type TableSet, type VerifyTables } from "./ed25519-table";
export type { TrustedTime } from "./trust";
export { VERDICTS, type Verdict, type Warning } from "./verdict";
