// @noble/ed25519 set up for synchronous use on the host (it needs SHA-512).
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

ed.hashes.sha512 = sha512;
export { ed };
