// TCP links to devices (tcp://HOST:PORT: Espruino's telnet console, a device
// behind a serial-to-network bridge): a bad URL is a usage error, a refused
// port, an unknown host or silence is one sentence within 2 s, and a peer
// that pours data is cut off instead of filling memory.
import { connect, isIP, type Socket } from "node:net";
import { lookup } from "node:dns/promises";
import { CliError, failed } from "./errors";

/** Host and port of tcp://HOST:PORT, or a usage error that says what is wrong with it. */
export function parseTcp(url: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,10})\/?$/.exec(url);
  if (!m) throw new CliError(`--port ${url}: expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:2323)`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new CliError(`--port ${url}: the TCP port must be 1 to 65535`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/** How long a connection may take to be refused or accepted: a named reason well within 2 s. */
export const CONNECT_MS = 1500;

/** A plain sentence for a socket or DNS error. */
export function netReason(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ECONNREFUSED":
      return "the connection was refused (nothing listens on that port)";
    case "ENOTFOUND":
    case "EAI_NONAME":
    case "EAI_NODATA":
      return "unknown host";
    case "EAI_AGAIN":
      return "the host name could not be looked up (no DNS answer)";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "the host cannot be reached";
    case "ECONNRESET":
      return "the connection was reset";
    case "ETIMEDOUT":
      return `no answer to the connection within ${CONNECT_MS} ms`;
    default:
      return "the connection failed";
  }
}

/** A connected TCP socket, or a one-line failure naming the URL within CONNECT_MS (plus the DNS look-up's own bound). */
export async function connectTcp(url: string, ms = CONNECT_MS): Promise<Socket> {
  const { host, port } = parseTcp(url);
  const fail = (e: unknown) => failed(`cannot connect to ${url}: ${netReason(e)}`, e);
  // An address needs no look-up (a busy thread pool can hold getaddrinfo past the deadline).
  const address = isIP(host)
    ? { address: host, family: isIP(host) }
    : await withDeadline(lookup(host), ms, "ETIMEDOUT").catch((e) => {
        throw fail((e as NodeJS.ErrnoException).code === "ETIMEDOUT" ? { code: "EAI_AGAIN" } : e);
      });
  return new Promise((resolve, reject) => {
    const s = connect({ host: address.address, port, family: address.family });
    // Timers run before I/O in Node's loop: after the loop was busy (an embedded
    // database's query, many devices at once) a connection that did complete is
    // seen first (setImmediate runs after the I/O), not failed as silent.
    const t = setTimeout(() => {
      setImmediate(() => {
        if (!s.connecting) return;
        s.destroy();
        reject(fail({ code: "ETIMEDOUT" }));
      });
    }, ms);
    s.once("connect", () => {
      clearTimeout(t);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (e) => {
      clearTimeout(t);
      reject(fail(e));
    });
  });
}

function withDeadline<T>(p: Promise<T>, ms: number, code: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(Object.assign(new Error(code), { code })), ms);
    }),
  ]);
}

/**
 * Counts what a peer sends and calls `flood` once it passes `maxBytes` within
 * `windowMs`: a device talks in lines and pages, far below that; a peer that
 * pours data is cut off before it fills memory.
 */
export function floodGuard(maxBytes: number, windowMs: number, flood: () => void): (chunk: { length: number }) => boolean {
  let start = Date.now();
  let got = 0;
  let tripped = false;
  return (chunk) => {
    if (tripped) return false;
    const now = Date.now();
    if (now - start > windowMs) {
      start = now;
      got = 0;
    }
    got += chunk.length;
    if (got > maxBytes) {
      tripped = true;
      flood();
      return false;
    }
    return true;
  };
}
