// A device's line (a pty, a serial port, tcp://) for the length of one piece of test work.
import { DeviceLines, openByteLink } from "../../host/src/device-lines";

/** Talk to a device on `path` for the length of `fn`: whole lines, each wait with a deadline. */
export async function onLine<T>(path: string, fn: (lines: DeviceLines, write: (s: string) => void) => Promise<T>): Promise<T> {
  const lines = new DeviceLines();
  const link = await openByteLink(path, 9600, 10_000, lines, () => lines.end("the link closed"));
  try {
    return await fn(lines, (t) => link.write(t));
  } finally {
    await link.close();
  }
}
