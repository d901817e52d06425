// Long-running commands (pindai run, emulate, sim --devices) stop on Ctrl-C or SIGTERM.

/**
 * Resolves with the first SIGINT or SIGTERM. It listens from the call on, so call it before
 * saying "Ctrl-C stops it": a signal right after that line is a clean stop, not the default
 * kill. The listeners stay: one more signal while the command shuts down (a second Ctrl-C,
 * systemd's repeat) is not a crash either.
 */
export function stopSignal(): Promise<string> {
  return new Promise<string>((resolve) => {
    process.on("SIGINT", () => resolve("SIGINT"));
    process.on("SIGTERM", () => resolve("SIGTERM"));
  });
}
