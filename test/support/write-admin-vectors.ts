// Writes docs/vectors/admin.json from the current code (see test/admin-vectors.test.ts).
import { writeFileSync } from "node:fs";
import { adminVectors } from "./admin-vectors";

writeFileSync("docs/vectors/admin.json", JSON.stringify(adminVectors(), null, 1) + "\n");
console.log("wrote docs/vectors/admin.json");
