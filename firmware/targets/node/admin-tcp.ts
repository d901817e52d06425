// The admin line over TCP (pindai run --admin-listen, pindai sim --devices):
// the same signed protocol as on a serial port, each connection a Serial of
// its own (its own line buffer, the same MAX_ADMIN_LINE bound). Bounded: at
// most maxConnections at once (one more is told ERR BUSY and closed), a
// connection whose replies pile up unread past maxQueuedBytes is closed, and
// an idle one is closed after idleMs. The protocol carries its own
// authentication (signed commands, signed answers); TCP adds none and needs none.
import { createServer, type Server, type Socket } from "node:net";
import type { Serial } from "../../hal/serial";

export interface AdminListenOptions {
  host: string;
  port: number;
  maxConnections?: number;
  maxQueuedBytes?: number;
  idleMs?: number;
}

export interface AdminListener {
  /** The port it listens on (the one given, or the one the system chose for port 0). */
  port: number;
  connections(): number;
  close(): Promise<void>;
}

export const DEFAULT_MAX_CONNECTIONS = 4;
export const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024;
export const DEFAULT_IDLE_MS = 120_000;

/** A connection as the device's admin line. */
function socketSerial(socket: Socket, maxQueued: number): Serial {
  return {
    write(data) {
      if (socket.destroyed) return;
      // A peer that sends requests but never reads the replies is cut off, not buffered for.
      if (socket.writableLength + data.length > maxQueued) socket.destroy();
      else socket.write(data);
    },
    onData(handler) {
      socket.on("data", (chunk: Buffer) => handler(new Uint8Array(chunk)));
    },
    close() {
      socket.destroy();
    },
  };
}

/** Listen on host:port; every accepted connection is handed to connect (Device.connectAdmin). */
export function listenAdmin(connect: (serial: Serial) => void, o: AdminListenOptions): Promise<AdminListener> {
  const max = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxQueued = o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  const idleMs = o.idleMs ?? DEFAULT_IDLE_MS;
  const open = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => {}); // a reset peer is just gone
    if (open.size >= max) {
      socket.end("ERR BUSY too many admin connections\r\n");
      socket.setTimeout(1000, () => socket.destroy());
      return;
    }
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.setTimeout(idleMs, () => socket.destroy());
    connect(socketSerial(socket, maxQueued));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: o.host, port: o.port }, () => {
      server.off("error", reject);
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr !== null ? addr.port : o.port,
        connections: () => open.size,
        close: () =>
          new Promise<void>((res) => {
            for (const s of open) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

/** "HOST:PORT" (a name, an IPv4 address or [IPv6]) as listen options; undefined when it is not one. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}
